//! Lowering `triggers`: manual, cron, webhook and queue, with their names.

use saphyr_parser::Span;

use crate::ids::TriggerName;
use crate::model::{CronSchedule, Trigger, TriggerKind, WebhookProvider};
use crate::values::Extensions;
use crate::yaml::{Fields, Node, Reader, Unknown, did_you_mean};

const TRIGGER_KEYS: [&str; 8] = [
    "type", "name", "schedule", "path", "subject", "provider", "event", "actions",
];
const TRIGGER_TYPES: [&str; 4] = ["manual", "cron", "webhook", "queue"];

pub(crate) fn triggers(r: &mut Reader<'_>, v: &Node<'_>, key: Span) -> Option<Vec<Trigger>> {
    let items = r.list(
        v,
        "triggers",
        Some("e.g. triggers: [{type: manual}]".into()),
    )?;
    if items.is_empty() {
        r.error(
            key,
            "no-triggers",
            "the workflow needs at least one trigger",
            Some("add e.g. - type: manual".into()),
        );
        return None;
    }
    let mut out = Vec::new();
    let mut ok = true;
    let mut names: Vec<(TriggerName, usize)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match trigger(r, item, i + 1, &mut names) {
            Some(t) => out.push(t),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

fn trigger(
    r: &mut Reader<'_>,
    v: &Node<'_>,
    n: usize,
    names: &mut Vec<(TriggerName, usize)>,
) -> Option<Trigger> {
    let what = format!("trigger {n}");
    let mut f = r.fields(v, &what, v.span)?;
    let ty = r
        .required(
            &mut f,
            "type",
            &what,
            Some("one of: manual, cron, webhook, queue".into()),
        )
        .and_then(|(t, _)| Some((r.string(t, "type")?, t.span)));
    let (name, ok) = match f.value("name") {
        Some((nv, _)) => trigger_name(r, nv, names),
        None => (None, true),
    };
    let fields = TriggerFields {
        schedule: text(r, &mut f, "schedule"),
        path: text(r, &mut f, "path"),
        subject: text(r, &mut f, "subject"),
        provider: text(r, &mut f, "provider"),
        event: text(r, &mut f, "event"),
        actions: f
            .value("actions")
            .and_then(|(v, _)| r.string_list(v, "actions")),
    };
    let anchor = f.anchor;
    let kind = ty.and_then(|(t, span)| trigger_kind(r, &what, anchor, &t, span, &fields));
    if let Some(k) = &kind {
        warn_stray_fields(r, &mut f, k, &fields);
    }
    let mut extensions = Extensions::new();
    r.finish(
        f,
        &TRIGGER_KEYS,
        &what,
        Some(&mut extensions),
        Unknown::Reject,
    );
    let kind = kind?;
    ok.then_some(Trigger {
        name,
        kind,
        extensions,
    })
}

/// The fields of a trigger that belong to one type or another.
struct TriggerFields {
    schedule: Option<(String, Span)>,
    path: Option<(String, Span)>,
    subject: Option<(String, Span)>,
    provider: Option<(String, Span)>,
    event: Option<(String, Span)>,
    actions: Option<Vec<(String, Span)>>,
}

/// A trigger's `name`, checked and unique among the triggers seen so far (`names`, with the
/// line each is on). The flag is false when the name is rejected.
fn trigger_name(
    r: &mut Reader<'_>,
    nv: &Node<'_>,
    names: &mut Vec<(TriggerName, usize)>,
) -> (Option<TriggerName>, bool) {
    let s = r.string(nv, "trigger name");
    let checked = s.and_then(|s| r.id(nv.span, TriggerName::new(s), "trigger-name-format"));
    let mut ok = checked.is_some();
    if let Some(name) = &checked {
        if let Some((_, line)) = names.iter().find(|(n, _)| n == name) {
            r.error(
                nv.span,
                "duplicate-trigger-name",
                format!("trigger name \"{name}\" is used twice"),
                Some(format!(
                    "it is first used on line {line}; trigger names must be unique"
                )),
            );
            ok = false;
        }
        names.push((name.clone(), nv.span.start.line()));
    }
    (checked, ok)
}

/// The trigger of type `ty` (written at `span`) with what that type needs from `fields`.
fn trigger_kind(
    r: &mut Reader<'_>,
    what: &str,
    anchor: Span,
    ty: &str,
    span: Span,
    fields: &TriggerFields,
) -> Option<TriggerKind> {
    match ty {
        "manual" => Some(TriggerKind::Manual),
        "cron" => cron(r, what, anchor, fields.schedule.as_ref()),
        "webhook" => webhook(
            r,
            what,
            anchor,
            fields.provider.as_ref(),
            fields.path.as_ref(),
            fields.event.as_ref().cloned(),
            fields.actions.clone(),
        ),
        "queue" => match &fields.subject {
            None => {
                r.error(
                    anchor,
                    "missing-key",
                    format!("{what} (queue) is missing \"subject\""),
                    Some("e.g. subject: orders.created".into()),
                );
                None
            }
            Some((s, _)) => Some(TriggerKind::Queue { subject: s.clone() }),
        },
        other => {
            let hint = did_you_mean(other, &TRIGGER_TYPES).map_or_else(
                || "one of: manual, cron, webhook, queue".to_string(),
                |k| format!("did you mean \"{k}\"?"),
            );
            r.error(
                span,
                "trigger-type",
                format!("unknown trigger type \"{other}\""),
                Some(hint),
            );
            None
        }
    }
}

fn cron(
    r: &mut Reader<'_>,
    what: &str,
    anchor: Span,
    schedule: Option<&(String, Span)>,
) -> Option<TriggerKind> {
    let Some((s, sspan)) = schedule else {
        r.error(
            anchor,
            "missing-key",
            format!("{what} (cron) is missing \"schedule\""),
            Some("e.g. schedule: \"0 9 * * *\" (every day at 09:00)".into()),
        );
        return None;
    };
    match CronSchedule::parse(s) {
        Ok(schedule) => Some(TriggerKind::Cron { schedule }),
        Err(m) => {
            r.error(
                *sspan,
                "cron-schedule",
                m,
                Some("minute 0-59, hour 0-23, day of month 1-31, month 1-12, day of week 0-6 (0 is Sunday), e.g. \"*/5 * * * *\"".into()),
            );
            None
        }
    }
}

/// Fields that belong to another trigger type are ignored; says so.
fn warn_stray_fields(
    r: &mut Reader<'_>,
    f: &mut Fields<'_, '_>,
    kind: &TriggerKind,
    fields: &TriggerFields,
) {
    let ty = kind.type_name();
    let anchor = f.anchor;
    let stray: [(&str, bool, &[&str]); 6] = [
        ("schedule", fields.schedule.is_some(), &["cron"]),
        ("subject", fields.subject.is_some(), &["queue"]),
        ("provider", fields.provider.is_some(), &["webhook"]),
        ("path", fields.path.is_some(), &["webhook"]),
        ("event", fields.event.is_some(), &["webhook"]),
        ("actions", fields.actions.is_some(), &["webhook"]),
    ];
    for (key, present, types) in stray {
        if present && !types.contains(&ty) {
            let at = f.entry(key).map_or(anchor, |e| e.key_span);
            r.warn(
                at,
                "ignored-key",
                format!("\"{key}\" is ignored on a {ty} trigger"),
                Some(format!("it only applies to {} triggers", types.join("/"))),
            );
        }
    }
}

fn text(r: &mut Reader<'_>, f: &mut Fields<'_, '_>, key: &str) -> Option<(String, Span)> {
    f.value(key)
        .and_then(|(v, _)| Some((r.string(v, key)?, v.span)))
}

fn webhook(
    r: &mut Reader<'_>,
    what: &str,
    anchor: Span,
    provider: Option<&(String, Span)>,
    path: Option<&(String, Span)>,
    event: Option<(String, Span)>,
    actions: Option<Vec<(String, Span)>>,
) -> Option<TriggerKind> {
    let Some((p, pspan)) = provider else {
        let (message, hint) = if path.is_some() {
            (
                format!(
                    "{what} (webhook) has a path but no \"provider\": path-only webhooks are not supported"
                ),
                "add provider: github — the engine serves webhooks at /webhook/<provider> and verifies each delivery's signature; an unsigned path-only endpoint would let anyone start runs",
            )
        } else {
            (
                format!("{what} (webhook) is missing \"provider\""),
                "add provider: github (the only provider supported)",
            )
        };
        r.error(anchor, "webhook-provider", message, Some(hint.into()));
        return None;
    };
    let provider = match p.as_str() {
        "github" => WebhookProvider::Github,
        other => {
            r.error(
                *pspan,
                "webhook-provider",
                format!("unknown webhook provider \"{other}\""),
                Some("the only provider supported is github".into()),
            );
            return None;
        }
    };
    if let Some((path, span)) = path {
        let served = format!("/webhook/{}", provider.as_str());
        if *path != served {
            r.warn(
                *span,
                "webhook-path",
                format!(
                    "webhook path \"{path}\" is informational: this trigger is served at {served}"
                ),
                Some(format!("write path: {served}, or remove it")),
            );
        }
    }
    Some(TriggerKind::Webhook {
        provider,
        path: path.map(|(p, _)| p.clone()),
        event: event.map(|(e, _)| e),
        actions: actions
            .unwrap_or_default()
            .into_iter()
            .map(|(a, _)| a)
            .collect(),
    })
}
