//! The committed schema.graphql is the contract: it must equal the SDL the
//! code prints, and every type, field, argument and enum value is described.

use std::path::Path;

#[test]
fn schema_graphql_is_up_to_date() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let generated = api::graphql::sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &generated).expect("write schema.graphql");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: regenerate it with `UPDATE_SCHEMA=1 cargo test --test api schema` \
         (or `cargo run -- schema > schema.graphql`) and review the diff"
    );
}

/// Names of the schema elements (types, fields, arguments written on their
/// own line, enum values) that have no description.
fn undescribed(sdl: &str) -> Vec<String> {
    let mut missing = Vec::new();
    let (mut in_block, mut described, mut skip_type) = (false, false, false);
    for line in sdl.lines() {
        let trimmed = line.trim();
        if trimmed == "\"\"\"" {
            in_block = !in_block;
            described = !in_block;
            continue;
        }
        if in_block || trimmed.is_empty() {
            continue;
        }
        if trimmed.starts_with('"') {
            described = trimmed.ends_with('"');
            continue;
        }
        // The end of an argument list printed one argument per line: the
        // field was checked at its first line.
        if trimmed.starts_with(')') {
            continue;
        }
        let top_level = !line.starts_with('\t');
        if top_level {
            skip_type = trimmed.starts_with("schema") || trimmed.starts_with("directive");
            if !described && !skip_type && trimmed != "}" {
                missing.push(trimmed.to_owned());
            }
        } else if !described && !skip_type && trimmed != "}" {
            missing.push(trimmed.to_owned());
        }
        described = false;
    }
    missing
}

#[test]
fn everything_in_the_schema_is_described() {
    let missing = undescribed(&api::graphql::sdl());
    assert!(
        missing.is_empty(),
        "undescribed schema elements:\n{}",
        missing.join("\n")
    );
}

#[test]
fn the_description_check_finds_what_is_missing() {
    let sdl = "\"\"\"\nA thing.\n\"\"\"\ntype Thing {\n\t\"\"\"\n\tDescribed.\n\t\"\"\"\n\ta: Int!\n\tb: Int!\n}\ntype Bare {\n}\n";
    assert_eq!(undescribed(sdl), vec!["b: Int!".to_owned(), "type Bare {".to_owned()]);
}
