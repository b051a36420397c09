//! [`ObjectRef`]: a borrowed generated object, for code that handles every kind alike
//! (apply order, YAML/JSON output, reports). The kinds are listed once, in the macro call.

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::autoscaling::v2::HorizontalPodAutoscaler;
use k8s_openapi::api::batch::v1::CronJob;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};

use crate::error::{Error, Result};

macro_rules! object_refs {
    ($($kind:ident),* $(,)?) => {
        /// A borrowed generated object, for code that handles every kind alike.
        #[derive(Debug, Clone, Copy)]
        #[allow(missing_docs)]
        pub enum ObjectRef<'a> {
            $($kind(&'a $kind),)*
        }

        impl ObjectRef<'_> {
            /// The object's kind, e.g. `Deployment`.
            pub fn kind(&self) -> &'static str {
                match self {
                    $(ObjectRef::$kind(_) => stringify!($kind),)*
                }
            }

            /// The object's name.
            pub fn name(&self) -> &str {
                let meta = match self {
                    $(ObjectRef::$kind(o) => &o.metadata,)*
                };
                meta.name.as_deref().unwrap_or_default()
            }

            pub(crate) fn to_json(self) -> Result<serde_json::Value> {
                let v = match self {
                    $(ObjectRef::$kind(o) => serde_json::to_value(o),)*
                };
                v.map_err(|e| Error::Serialize {
                    what: format!("{}/{}", self.kind(), self.name()),
                    message: e.to_string(),
                })
            }
        }
    };
}

object_refs!(
    ConfigMap,
    Secret,
    Service,
    NetworkPolicy,
    ServiceAccount,
    Role,
    RoleBinding,
    ClusterRole,
    ClusterRoleBinding,
    Deployment,
    HorizontalPodAutoscaler,
    PodDisruptionBudget,
    CronJob,
);
