//! `tntc cluster install [--deployer-sa NAME] [--no-runtime-class]`.

use clap::Args;
use tentacular_kube::cluster::{DEPLOYER_ROLE, InstallOptions};

use crate::commands::kube_flags::{Extra, KubeFlags, connect};
use crate::commands::runtime;
use crate::output::{Mark, Output};

/// Applies (server-side, idempotently) the cluster-wide RuntimeClass `gvisor` (handler runsc),
/// the namespace, and optionally a ServiceAccount bound to the Role `tentacular-deployer`,
/// which holds exactly the permissions `tntc cluster check` asks for. Needs an administrator.
#[derive(Debug, Args)]
pub struct Install {
    #[command(flatten)]
    pub kube: KubeFlags,

    /// Also create this ServiceAccount in the namespace, with the Role `tentacular-deployer`
    /// bound to it (for CI or agents). By default, no RBAC is created.
    #[arg(long, value_name = "NAME")]
    pub deployer_sa: Option<String>,

    /// Do not create the RuntimeClass `gvisor` (e.g. the cluster has its own). By default it
    /// is created; the nodes still need gVisor installed (deploy/gvisor/README.md).
    #[arg(long)]
    pub no_runtime_class: bool,
}

impl Install {
    pub fn run(self, out: &Output) -> anyhow::Result<()> {
        let resolved = self.kube.resolve(Extra::default(), out)?;
        let mut opts = InstallOptions::new(&resolved.namespace);
        opts.runtime_class = !self.no_runtime_class;
        opts.deployer_service_account = self.deployer_sa.clone();
        runtime()?.block_on(async {
            let cluster = connect(&resolved).await?;
            if !out.json() {
                out.err(format!(
                    "Installing into {} (namespace {})",
                    cluster.server(),
                    opts.namespace
                ))?;
            }
            let report = cluster.install(&opts).await?;
            if out.json() {
                return out.json_value(&report);
            }
            for a in &report.applied {
                out.out(format!("  applied {a}"))?;
            }
            out.out(format!(
                "{} installed; `tntc cluster check -n {}` verifies",
                Mark::Ok,
                report.namespace
            ))?;
            if opts.runtime_class {
                out.err(
                    "note: the RuntimeClass only names the handler `runsc`; pods start only on \
                     nodes where gVisor is installed (deploy/gvisor/README.md)",
                )?;
            }
            if let Some(sa) = &opts.deployer_service_account {
                out.err(format!(
                    "note: ServiceAccount {sa} may now deploy to {} (Role {DEPLOYER_ROLE}); \
                     `kubectl create token {sa} -n {}` gives it a token",
                    report.namespace, report.namespace
                ))?;
            }
            Ok(())
        })
    }
}
