"""Manifests the validate tests plant in trees: one a schema rejects, one it accepts."""

# Two errors a schema catches: a misspelt field and a replica count that is no number.
BROKEN_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: three
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          imagePullPolicyy: Always
"""

VALID_CONFIGMAP = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  mode: fast
"""
