#!/usr/bin/env bash
# Installs Argo CD once; from then on the platform-addons ApplicationSet in
# charts/argocd/values.yaml reconciles everything else.
set -euo pipefail
helm dependency build charts/argocd
helm upgrade --install argocd charts/argocd --namespace argocd --create-namespace
