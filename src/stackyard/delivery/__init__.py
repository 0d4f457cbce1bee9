"""Air-gapped delivery: the charts, images and GitOps repository, moved across the gap.

A disconnected environment reaches no public chart repository or registry. This package
fetches every pinned chart a render needs into a local chart store, packs charts, images
and the rendered Git repository into one signed bundle whose core is an OCI image layout,
and pushes a bundle into the customer's registry and Git server. It reads rendered trees
and the plan, never the command line.
"""
