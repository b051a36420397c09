//! `tntc cluster check|install|profile`. (The flags every Kubernetes command shares are in
//! [`super::kube_flags`].)

mod check;
mod install;
mod profile;

use clap::Subcommand;

use crate::output::Output;

/// `tntc cluster …`: prepare and inspect a cluster (not a workflow).
#[derive(Debug, Subcommand)]
pub enum ClusterCmd {
    /// Check that the cluster and namespace are ready for `tntc deploy`: API, RuntimeClass,
    /// namespace, every RBAC permission tntc uses, expected secrets. Exit 1 if a check fails.
    Check(check::Check),
    /// Install what workflows need (administrator): RuntimeClass `gvisor`, the namespace and,
    /// optionally, a deployer service account with exactly tntc's permissions. Idempotent.
    Install(install::Install),
    /// Describe the cluster for people and agents: version, nodes, runtime classes, CNI and
    /// NetworkPolicy support, storage, extensions, the namespace's quotas and guidance.
    Profile(profile::Profile),
}

impl ClusterCmd {
    /// Runs the chosen subcommand.
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        match self {
            ClusterCmd::Check(c) => c.run(out),
            ClusterCmd::Install(c) => c.run(out),
            ClusterCmd::Profile(c) => c.run(out),
        }
    }
}
