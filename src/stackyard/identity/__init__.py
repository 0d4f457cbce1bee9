"""Live checks of the identity providers a spec declares (today: company directories).

:mod:`stackyard.identity.directory` binds to an LDAP server or Active Directory domain
and runs the searches Keycloak's LDAP user federation would run, reporting what it found
and each problem as a :class:`~stackyard.findings.Finding` located at the spec field to fix.
"""

from stackyard.identity.directory import (
    DirectoryReport,
    GroupMembers,
    SearchResult,
    check_directory,
)

__all__ = ["DirectoryReport", "GroupMembers", "SearchResult", "check_directory"]
