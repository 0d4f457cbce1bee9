"""Keycloak's truststore: the CAs of the company directories, so LDAPS and StartTLS work.

The realm's LDAP federation checks the directory server's certificate against Keycloak's
truststore (``useTruststoreSpi: always``, :mod:`stackyard.render.identityrealm`). A
directory whose certificate a private CA signed names that CA in ``tls.caFile``; the
spec's loader has read and checked it (:mod:`stackyard.spec.directorycas`). Without it in
the truststore Keycloak refuses the connection and nobody from that directory signs in.

Keycloak 26 builds its truststore from the JVM's default CAs plus the PEM and PKCS#12
files of its ``truststore-paths`` option (``KC_TRUSTSTORE_PATHS``), and uses it for
every outgoing TLS connection, LDAP included
(https://www.keycloak.org/server/keycloak-truststore). So:

- the CAs are a ConfigMap ``keycloak-truststore`` in Keycloak's namespace
  (:mod:`stackyard.render.manifests.identity`), one key ``<directory>.pem`` per
  directory (a CA certificate is public: Git may hold it, and a ConfigMap says so where
  a Secret would suggest otherwise);
- the chart's ``extraVolumes`` mounts it read-only at :data:`TRUSTSTORE_DIR` and
  ``KC_TRUSTSTORE_PATHS`` lists each file (the ``keycloak`` value builder). The files are
  named one by one rather than the folder: a mounted ConfigMap folder also holds the
  kubelet's ``..data`` links, which a recursive scan would read twice. The folder is
  outside ``conf/truststores``, which Keycloak scans on its own.

Keycloak reads the truststore at start, and a changed ConfigMap restarts no pod: after
a CA changes, Keycloak's pods must be restarted (``kubectl rollout restart``) before it
trusts the new one. A digest annotation on the pod template would do that by itself, but
a hex digest in the values is what the secret scan of ``stackyard validate`` rightly
flags as a possible secret.
"""

from __future__ import annotations

from stackyard.render.context import RenderContext

TRUSTSTORE_CONFIGMAP = "keycloak-truststore"
TRUSTSTORE_VOLUME = "directory-cas"
TRUSTSTORE_DIR = "/opt/keycloak/truststores/directories"


def _key(directory: str) -> str:
    return f"{directory}.pem"


def truststore_files(context: RenderContext) -> list[str]:
    """The CA files Keycloak's ``truststore-paths`` lists, one per directory with a CA."""
    return [f"{TRUSTSTORE_DIR}/{_key(name)}" for name in sorted(context.plan.spec.directory_cas)]


def truststore_data(context: RenderContext) -> dict[str, str]:
    """The ConfigMap's data: each directory's CA certificates under ``<directory>.pem``."""
    cas = context.plan.spec.directory_cas
    return {_key(name): cas[name].pem for name in sorted(cas)}
