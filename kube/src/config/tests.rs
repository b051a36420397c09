//! Tests of config loading, merging and resolution.

use super::*;

const USER: &str = "registry: user.example\nnamespace: user-ns\nruntime_class: gvisor\n\
    moduleProxy: {enabled: true}\n\
    environments:\n  dev:\n    kubeconfig: ~/.kube/dev\n    context: dev-ctx\n    namespace: dev-user\n    image: img:user\n  prod:\n    namespace: prod\n";
const PROJECT: &str = "namespace: project-ns\nenvironments:\n  dev:\n    namespace: dev-project\n    runtime_class: \"\"\n";

fn merged() -> Config {
    Config::merged(
        &Config::parse(USER).unwrap(),
        &Config::parse(PROJECT).unwrap(),
    )
}

#[test]
fn project_wins_field_by_field() {
    let c = merged();
    assert_eq!(c.registry.as_deref(), Some("user.example"));
    assert_eq!(c.namespace.as_deref(), Some("project-ns"));
    let dev = &c.environments["dev"];
    assert_eq!(dev.namespace.as_deref(), Some("dev-project"));
    assert_eq!(
        dev.context.as_deref(),
        Some("dev-ctx"),
        "kept from the user file"
    );
    assert!(c.environments.contains_key("prod"));
    assert_eq!(c.other["moduleProxy"]["enabled"], true, "unknown keys kept");
}

#[test]
fn namespace_precedence() {
    let c = merged();
    let home = Path::new("/home/u");
    let base = Overrides {
        home: Some(home),
        ..Overrides::default()
    };
    let ns = |o: Overrides<'_>| {
        let r = c.resolve(&o).unwrap();
        (r.namespace, r.namespace_source)
    };
    assert_eq!(
        ns(Overrides {
            namespace: Some("flag"),
            env: Some("dev"),
            ..base
        }),
        ("flag".into(), Source::Flag)
    );
    assert_eq!(
        ns(Overrides {
            env: Some("dev"),
            workflow_namespace: Some("wf"),
            ..base
        }),
        ("dev-project".into(), Source::Environment)
    );
    assert_eq!(
        ns(Overrides {
            env_var: Some("dev"),
            workflow_namespace: Some("wf"),
            ..base
        }),
        ("dev-project".into(), Source::Environment)
    );
    assert_eq!(
        ns(Overrides {
            workflow_namespace: Some("wf"),
            ..base
        }),
        ("wf".into(), Source::Workflow)
    );
    assert_eq!(ns(base), ("project-ns".into(), Source::Config));
    assert_eq!(
        Config::default().resolve(&base).unwrap().namespace,
        "default"
    );
    // --env beats $TENTACULAR_ENV.
    let r = c
        .resolve(&Overrides {
            env: Some("prod"),
            env_var: Some("dev"),
            ..base
        })
        .unwrap();
    assert_eq!(r.namespace, "prod");
}

#[test]
fn environment_supplies_cluster_and_image() {
    let c = merged();
    let home = Path::new("/home/u");
    let r = c
        .resolve(&Overrides {
            env: Some("dev"),
            home: Some(home),
            built_image: Some("img:built"),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(
        r.kubeconfig.as_deref(),
        Some(Path::new("/home/u/.kube/dev"))
    );
    assert_eq!(r.context.as_deref(), Some("dev-ctx"));
    assert_eq!(
        (r.image.as_str(), r.image_source),
        ("img:user", Source::Environment)
    );
    let r = c
        .resolve(&Overrides {
            home: Some(home),
            built_image: Some("img:built\n"),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(
        (r.image.as_str(), r.image_source),
        ("img:built", Source::BuildOutput)
    );
    let r = c
        .resolve(&Overrides {
            home: Some(home),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(
        (r.image.as_str(), r.image_source),
        (DEFAULT_IMAGE, Source::Default)
    );
    assert!(r.kubeconfig.is_none() && r.context.is_none());
}

#[test]
fn empty_runtime_class_never_disables_gvisor() {
    let c = merged();
    // dev has `runtime_class: ""` in the project file: ignored with a warning.
    let r = c
        .resolve(&Overrides {
            env: Some("dev"),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(r.runtime_class, RuntimeClassChoice::Gvisor);
    assert!(
        r.warnings[0].contains("runtime_class: none"),
        "{:?}",
        r.warnings
    );
    // Explicit `none` does.
    let r = c
        .resolve(&Overrides {
            runtime_class: Some("none"),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(r.runtime_class, RuntimeClassChoice::Disabled);
    let cfg = Config::parse("runtime_class: none\n").unwrap();
    assert_eq!(
        cfg.resolve(&Overrides::default()).unwrap().runtime_class,
        RuntimeClassChoice::Disabled
    );
    // An empty flag is an error, not a silent disable.
    let err = c
        .resolve(&Overrides {
            runtime_class: Some(""),
            ..Overrides::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("--runtime-class none"), "{err}");
    let r = c
        .resolve(&Overrides {
            runtime_class: Some("kata"),
            ..Overrides::default()
        })
        .unwrap();
    assert_eq!(r.runtime_class, RuntimeClassChoice::Named("kata".into()));
}

#[test]
fn unknown_environment_lists_the_known_ones() {
    let err = merged()
        .resolve(&Overrides {
            env: Some("stage"),
            ..Overrides::default()
        })
        .unwrap_err();
    assert!(err.to_string().contains("(defined: dev, prod)"), "{err}");
}

#[test]
fn load_write_update_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("home");
    let project = dir.path().join("proj");
    let paths = ConfigPaths::new(Some(&home), &project);
    assert_eq!(
        Config::load(&paths).unwrap(),
        Config::default(),
        "missing files are empty"
    );
    std::fs::create_dir_all(home.join(".tentacular")).unwrap();
    std::fs::write(paths.user.as_ref().unwrap(), USER).unwrap();

    let mut c = Config::read(&paths.project).unwrap();
    c.update(&ConfigUpdate {
        namespace: Some("p".into()),
        ..ConfigUpdate::default()
    })
    .unwrap();
    c.update(&ConfigUpdate {
        environment: Some("ci".into()),
        context: Some("ci-ctx".into()),
        runtime_class: Some("none".into()),
        ..ConfigUpdate::default()
    })
    .unwrap();
    assert!(
        c.update(&ConfigUpdate {
            runtime_class: Some(" ".into()),
            ..ConfigUpdate::default()
        })
        .is_err()
    );
    c.write(&paths.project).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&paths.project)
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }
    let loaded = Config::load(&paths).unwrap();
    assert_eq!(loaded.namespace.as_deref(), Some("p"));
    assert_eq!(loaded.registry.as_deref(), Some("user.example"));
    assert_eq!(loaded.environments["ci"].context.as_deref(), Some("ci-ctx"));
    assert_eq!(
        loaded.environments["dev"].context.as_deref(),
        Some("dev-ctx")
    );
    let again = Config::read(&paths.user.clone().unwrap()).unwrap();
    let text = crate::manifests::to_yaml(&again).unwrap();
    assert_eq!(
        Config::parse(&text).unwrap(),
        again,
        "write/read round trip:\n{text}"
    );
}

#[test]
fn bad_yaml_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("config.yaml");
    std::fs::write(&p, "environments: [oops\n").unwrap();
    let err = Config::read(&p).unwrap_err();
    assert!(err.to_string().contains("config.yaml"), "{err}");
}
