#!/usr/bin/env bash
# Checks run on every pull request (see .github/workflows/validate.yml).
set -euo pipefail

ansible-lint ansible/
yamllint -s ansible/ manifests/
kubeconform -strict -summary manifests/
