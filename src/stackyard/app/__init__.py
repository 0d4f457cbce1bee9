"""Stackyard's use cases as a library: one typed function per command.

The command line (``stackyard.cli``) and the fleet service are shells over this package:
they parse their input, call one function here, and format the frozen result it returns.
Every policy (refuse a plan with errors, what "strict" means, which exit a gate asks for)
lives here, so two shells cannot disagree. Bad input raises a ``StackyardError`` subclass;
anything else is a bug.

Every result has ``as_dict()``, whose first key is ``"schema"``: the versioned name of its
JSON shape (``stackyard.dev/<name>/v1``), with a JSON Schema in ``docs/schemas/``.

Every result is a :class:`Result`: ``failed`` is its verdict (a plan or a validation
with an error finding, a check that does not match, a gate that stops) and ``reasons``
says why, one sentence each, empty when it did not fail. A shell exits 1 exactly when
``failed`` and shows the reasons (the command line on stderr); a result that only
describes (:class:`Describes`: a model, a listing, a render's report) never fails. A
spec whose plan has error findings is not a result but :class:`PlanRefusedError`, with
its findings and its own JSON document (``refusal``), for the use cases that build
from a plan: render, check a render, simulate, diff manifests.
"""

from __future__ import annotations

from stackyard.app.assessment import (
    AssessRequest,
    AssessResult,
    ComparisonResult,
    ReportFormat,
    assess,
    capped_jobs,
    compare_reports,
    format_report,
    write_report,
)
from stackyard.app.bundles import (
    BundleResult,
    KeyPair,
    check_bundle,
    make_bundle,
    make_signing_keys,
)
from stackyard.app.charts import (
    ChartPullResult,
    SourceKind,
    parse_repository_map,
    pull_charts_for,
)
from stackyard.app.clusterrequest import (
    ClusterAddresses,
    ClusterRegistration,
    parse_labels,
    parse_node_pool,
)
from stackyard.app.coalescing import Coalesced
from stackyard.app.diffing import ManifestDiffResult, SpecDiffResult, diff
from stackyard.app.directories import DirectoryCheckResult, check_directories
from stackyard.app.drills import (
    EtcdDrillResult,
    check_record_options,
    drill_etcd,
    write_evidence,
    write_record,
)
from stackyard.app.fleet import (
    AreaRating,
    ClusterView,
    ComponentView,
    Fleet,
    FleetResult,
    HistoryPoint,
    PlatformDetail,
    PlatformSummary,
    UnknownPlatformError,
    add_platform,
    assess_platform,
    fleet_version,
    incident_matrix,
    list_fleet,
    open_fleet,
    platform_history,
    platform_plan,
    platform_record,
    platform_spec,
    platform_version,
    read_platform,
    settle_collections,
)
from stackyard.app.fleetchanges import deregister_fleet_cluster, register_fleet_cluster
from stackyard.app.images import (
    ImageInventory,
    ImageSource,
    InventoryImage,
    NodeReleaseUsed,
    NotInspected,
    list_images,
)
from stackyard.app.migration import MigrationFile, MigrationResult, plan_cluster_migration
from stackyard.app.planning import (
    ClusterExplanation,
    Explanation,
    Need,
    PlanRefusedError,
    PlanResult,
    Use,
    explain,
    plan,
    plan_without_errors,
)
from stackyard.app.policychoices import PolicyChoice, policy_choices
from stackyard.app.pulling import ImagesPullResult, pull_images
from stackyard.app.pushing import (
    BundlePushResult,
    GitPushResult,
    ImagesPushResult,
    push_bundle,
    push_git,
    push_images,
)
from stackyard.app.reference import CatalogListing, Starter, catalog, init, platform_schema
from stackyard.app.registration import (
    ChangeAction,
    ChangeResult,
    ChangeStatus,
    deregister_cluster,
    register_cluster,
)
from stackyard.app.rendering import (
    RenderCheck,
    RenderResult,
    Waiting,
    check_render,
    render,
)
from stackyard.app.repositories import (
    CommitRef,
    blob_id,
    current_head,
    file_blob_id,
    last_commit_touching,
    repository_head,
    repository_top,
    uncommitted_changes,
)
from stackyard.app.results import Describes, Result
from stackyard.app.runbooks import (
    FileState,
    RunbookFile,
    RunbookResult,
    measured_recoveries,
    write_runbooks,
)
from stackyard.app.simulation import (
    FailureMatrixResult,
    Incident,
    SimulateRequest,
    SimulationModel,
    SimulationResult,
    check_simulate_usage,
    simulate,
)
from stackyard.app.tokens import (
    AuditLog,
    OwnerWithoutRoleError,
    TokenCaller,
    TokenList,
    TokenRefusedError,
    TokenResult,
    TokenScope,
    TokenView,
    UnknownTokenError,
    audit_log,
    authenticate_token,
    create_token,
    highest_scope,
    list_tokens,
    parse_lifetime,
    record_sign_in,
    revoke_token,
    token_hash,
)
from stackyard.app.validation import Validation, validate
from stackyard.assess import Assessment
from stackyard.findings import Finding
from stackyard.identity import DirectoryReport
from stackyard.plan import ClusterPolicy
from stackyard.spec import Edition, Provider, Role
from stackyard.spec.starter import Topology
from stackyard.store import (
    AuditRecord,
    PlatformExistsError,
    StoreError,
    TokenExistsError,
    default_data_dir,
)
from stackyard.versioning import schema_id

__all__ = [
    "AreaRating",
    "AssessRequest",
    "AssessResult",
    "Assessment",
    "AuditLog",
    "AuditRecord",
    "BundlePushResult",
    "BundleResult",
    "CatalogListing",
    "ChangeAction",
    "ChangeResult",
    "ChangeStatus",
    "ChartPullResult",
    "ClusterAddresses",
    "ClusterExplanation",
    "ClusterPolicy",
    "ClusterRegistration",
    "ClusterView",
    "Coalesced",
    "CommitRef",
    "ComparisonResult",
    "ComponentView",
    "Describes",
    "DirectoryCheckResult",
    "DirectoryReport",
    "Edition",
    "EtcdDrillResult",
    "Explanation",
    "FailureMatrixResult",
    "FileState",
    "Finding",
    "Fleet",
    "FleetResult",
    "GitPushResult",
    "HistoryPoint",
    "ImageInventory",
    "ImageSource",
    "ImagesPullResult",
    "ImagesPushResult",
    "Incident",
    "InventoryImage",
    "KeyPair",
    "ManifestDiffResult",
    "MigrationFile",
    "MigrationResult",
    "Need",
    "NodeReleaseUsed",
    "NotInspected",
    "OwnerWithoutRoleError",
    "PlanRefusedError",
    "PlanResult",
    "PlatformDetail",
    "PlatformExistsError",
    "PlatformSummary",
    "PolicyChoice",
    "Provider",
    "RenderCheck",
    "RenderResult",
    "ReportFormat",
    "Result",
    "Role",
    "RunbookFile",
    "RunbookResult",
    "SimulateRequest",
    "SimulationModel",
    "SimulationResult",
    "SourceKind",
    "SpecDiffResult",
    "Starter",
    "StoreError",
    "TokenCaller",
    "TokenExistsError",
    "TokenList",
    "TokenRefusedError",
    "TokenResult",
    "TokenScope",
    "TokenView",
    "Topology",
    "UnknownPlatformError",
    "UnknownTokenError",
    "Use",
    "Validation",
    "Waiting",
    "add_platform",
    "assess",
    "assess_platform",
    "audit_log",
    "authenticate_token",
    "blob_id",
    "capped_jobs",
    "catalog",
    "check_bundle",
    "check_directories",
    "check_record_options",
    "check_render",
    "check_simulate_usage",
    "compare_reports",
    "create_token",
    "current_head",
    "default_data_dir",
    "deregister_cluster",
    "deregister_fleet_cluster",
    "diff",
    "drill_etcd",
    "explain",
    "file_blob_id",
    "fleet_version",
    "format_report",
    "highest_scope",
    "incident_matrix",
    "init",
    "last_commit_touching",
    "list_fleet",
    "list_images",
    "list_tokens",
    "make_bundle",
    "make_signing_keys",
    "measured_recoveries",
    "open_fleet",
    "parse_labels",
    "parse_lifetime",
    "parse_node_pool",
    "parse_repository_map",
    "plan",
    "plan_cluster_migration",
    "plan_without_errors",
    "platform_history",
    "platform_plan",
    "platform_record",
    "platform_schema",
    "platform_spec",
    "platform_version",
    "policy_choices",
    "pull_charts_for",
    "pull_images",
    "push_bundle",
    "push_git",
    "push_images",
    "read_platform",
    "record_sign_in",
    "register_cluster",
    "register_fleet_cluster",
    "render",
    "repository_head",
    "repository_top",
    "revoke_token",
    "schema_id",
    "settle_collections",
    "simulate",
    "token_hash",
    "uncommitted_changes",
    "validate",
    "write_evidence",
    "write_record",
    "write_report",
    "write_runbooks",
]
