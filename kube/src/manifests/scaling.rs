//! Scaling objects: a HorizontalPodAutoscaler (`autoscaling/v2`, on CPU) when the workflow
//! asks for `deployment.autoscale`, and a PodDisruptionBudget (`maxUnavailable: 1`) when
//! the engine runs on two pods or more.

use k8s_openapi::api::autoscaling::v2::{
    CrossVersionObjectReference, HorizontalPodAutoscaler, HorizontalPodAutoscalerSpec, MetricSpec,
    MetricTarget, ResourceMetricSource,
};
use k8s_openapi::api::policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use super::{DeployInput, engine_selector, meta};

/// The autoscaler of the engine Deployment, when `input.autoscale` is set.
pub(super) fn autoscaler(input: &DeployInput) -> Option<HorizontalPodAutoscaler> {
    let a = input.autoscale?;
    Some(HorizontalPodAutoscaler {
        metadata: meta(input, input.name.clone()),
        spec: Some(HorizontalPodAutoscalerSpec {
            scale_target_ref: CrossVersionObjectReference {
                api_version: Some("apps/v1".into()),
                kind: "Deployment".into(),
                name: input.name.clone(),
            },
            min_replicas: Some(a.min as i32),
            max_replicas: a.max as i32,
            metrics: Some(vec![MetricSpec {
                type_: "Resource".into(),
                resource: Some(ResourceMetricSource {
                    name: "cpu".into(),
                    target: MetricTarget {
                        type_: "Utilization".into(),
                        average_utilization: Some(a.cpu as i32),
                        ..MetricTarget::default()
                    },
                }),
                ..MetricSpec::default()
            }]),
            behavior: None,
        }),
        status: None,
    })
}

/// A budget that lets voluntary disruptions (node drains) take one engine pod at a time,
/// when there are several.
pub(super) fn disruption_budget(input: &DeployInput) -> Option<PodDisruptionBudget> {
    input.several_pods().then(|| PodDisruptionBudget {
        metadata: meta(input, input.name.clone()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(engine_selector(&input.name)),
                match_expressions: None,
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        status: None,
    })
}
