//! No import cycles between the modules of the relay, the Stripe sandbox, the bench and the
//! desktop app: each crate's module graph is read from its sources (`crate::…`, `super::…`,
//! `self::…` and child-module paths, in `use` lines and in code; test modules left out) and a
//! cycle fails the test with its files and what ties them.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[path = "common/modgraph.rs"]
mod modgraph;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn no_crate_has_an_import_cycle() {
    let mut report = String::new();
    for krate in [
        "relay/src",
        "crates/stripe-sandbox/src",
        "crates/relay-bench/src",
        "src-tauri/src",
    ] {
        let graph = modgraph::Graph::read(&root().join(krate));
        assert!(graph.modules() > 3, "{krate}: no modules read");
        for cycle in graph.cycles() {
            report.push_str(&format!("{krate}: {}\n", graph.describe(&cycle)));
        }
    }
    assert!(report.is_empty(), "import cycles:\n{report}");
}

#[test]
fn a_cycle_planted_in_a_crate_is_found_and_printed() {
    let dir = std::env::temp_dir().join(format!("modgraph_{}", std::process::id()));
    let files: BTreeMap<&str, &str> = BTreeMap::from([
        ("lib.rs", "pub mod a;\npub mod b;\npub mod c;\n"),
        ("a.rs", "use crate::b::{Thing, other::X};\npub struct A;\n"),
        (
            "b.rs",
            "pub mod other;\npub struct Thing;\nfn f() { let _ = super::c::C; }\n// crate::a::A in a comment\nconst S: &str = \"crate::a::A\";\n#[cfg(test)]\nmod tests { use crate::a::A; }\n",
        ),
        ("b/other.rs", "pub struct X;\n"),
        (
            "c.rs",
            "pub struct C;\npub fn g() -> crate::a::A { crate::a::A }\n",
        ),
    ]);
    for (name, text) in &files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let graph = modgraph::Graph::read(&dir);
    let cycles = graph.cycles();
    let found: Vec<BTreeSet<String>> = cycles
        .iter()
        .map(|c| c.iter().map(|m| graph.name(*m)).collect())
        .collect();
    assert_eq!(
        found,
        [BTreeSet::from([
            "a".to_owned(),
            "b".to_owned(),
            "c".to_owned()
        ])],
        "a → b → c → a, and nothing from the comment, the string or the tests"
    );
    let text = graph.describe(&cycles[0]);
    assert!(text.contains("a -> b"), "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_billing_core_touches_no_database_network_or_runtime() {
    let core = root().join("relay/src/core");
    for entry in std::fs::read_dir(&core).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        for name in [
            "sqlx",
            "axum",
            "reqwest",
            "tokio",
            "crate::db",
            "crate::state",
        ] {
            assert!(
                !text.contains(&format!("{name}::")),
                "{} names {name}",
                entry.path().display()
            );
        }
    }
}
