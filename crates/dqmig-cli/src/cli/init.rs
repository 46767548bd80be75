//! `dqmig init [DIR] [--template generic|cluster] [--address HOST:PORT]`: a new project
//! from a template embedded in the binary — dqmig.toml, models.toml, the migrations folder
//! with its revision template and an empty `versions/`. Refuses a folder that is not empty,
//! so it never overwrites anything. The `generic` project works at once: its URL starts an
//! embedded node at 127.0.0.1:9001 (or `--address`) with the data in `.dqmig/` inside the
//! project folder.

use std::path::{Path, PathBuf};

use dqmig::script::DEFAULT_TEMPLATE;

use super::{CliError, Io};

/// The embedded node's address a `generic` project uses unless `--address` says otherwise.
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:9001";

/// Where the revision template goes (`script::fs::TEMPLATE_FILE` in the migrations folder).
const SCRIPT_TEMPLATE: &str = "migrations/script.sql.tmpl";

/// Placeholder for the node address in template files.
const ADDRESS_VAR: &str = "${address}";

/// A project template: files (relative path, contents) written by `dqmig init`.
pub struct Template {
    pub name: &'static str,
    pub description: &'static str,
    pub files: &'static [(&'static str, &'static str)],
}

/// Every template, the default first.
pub const TEMPLATES: &[Template] = &[
    Template {
        name: "generic",
        description: "one database on an embedded dqlite node started by dqmig itself, data in .dqmig/ inside the project (works at once)",
        files: &[
            ("dqmig.toml", include_str!("../../../../templates/generic/dqmig.toml")),
            ("models.toml", include_str!("../../../../templates/generic/models.toml")),
            (".gitignore", include_str!("../../../../templates/generic/gitignore")),
            (SCRIPT_TEMPLATE, DEFAULT_TEMPLATE),
        ],
    },
    Template {
        name: "cluster",
        description: "a client of a running dqlite cluster (dqlite://HOST:PORT,HOST:PORT,.../app.db); starts no node",
        files: &[
            ("dqmig.toml", include_str!("../../../../templates/cluster/dqmig.toml")),
            ("models.toml", include_str!("../../../../templates/generic/models.toml")),
            (SCRIPT_TEMPLATE, DEFAULT_TEMPLATE),
        ],
    },
];

/// Arguments of `dqmig init`.
#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// The project folder to create (it may exist if it is empty).
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,

    /// The project template (`dqmig list-templates` lists them).
    #[arg(short, long, default_value = "generic", value_name = "NAME")]
    pub template: String,

    /// The embedded node's address written into a generic project's URL.
    #[arg(long, value_name = "HOST:PORT")]
    pub address: Option<String>,
}

/// The template called `name`, or an error listing the names.
pub fn find_template(name: &str) -> Result<&'static Template, CliError> {
    TEMPLATES.iter().find(|t| t.name == name).ok_or_else(|| {
        CliError::Usage(format!(
            "--template {name}: there is no such template; choose one of: {} (`dqmig list-templates` describes them)",
            TEMPLATES.iter().map(|t| t.name).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// The files of `template` with the address filled in.
pub fn render_files(
    template: &Template,
    address: Option<&str>,
) -> Result<Vec<(&'static str, String)>, CliError> {
    let uses_address = template
        .files
        .iter()
        .any(|(_, text)| text.contains(ADDRESS_VAR));
    if let (Some(a), false) = (address, uses_address) {
        return Err(CliError::Usage(format!(
            "--address {a}: the `{}` template starts no node; edit the url in its dqmig.toml instead",
            template.name
        )));
    }
    if let Some(a) = address {
        let url = format!("dqlite:///{a}/./.dqmig/app.db");
        url.parse::<dqmig::url::DbUrl>()
            .map_err(|source| CliError::Url {
                url,
                source: Box::new(source),
            })?;
    }
    let address = address.unwrap_or(DEFAULT_ADDRESS);
    Ok(template
        .files
        .iter()
        .map(|(path, text)| (*path, text.replace(ADDRESS_VAR, address)))
        .collect())
}

/// Run the command.
pub fn run(args: &InitArgs, io: &mut Io<'_>) -> Result<(), CliError> {
    let template = find_template(&args.template)?;
    let files = render_files(template, args.address.as_deref())?;
    ensure_empty(&args.dir)?;
    let io_err = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| CliError::Io {
            action,
            path,
            source,
        }
    };
    let versions = args.dir.join("migrations").join("versions");
    std::fs::create_dir_all(&versions).map_err(io_err("creating the folder", &versions))?;
    for (rel, text) in &files {
        let path = args.dir.join(rel);
        std::fs::write(&path, text).map_err(io_err("writing", &path))?;
        io.info(format_args!("created {}", path.display()));
    }
    io.info(format_args!("created {}/", versions.display()));
    let cd = if args.dir == Path::new(".") {
        String::new()
    } else {
        format!("cd {} && ", args.dir.display())
    };
    io.info(format_args!(
        "next: edit models.toml, then `{cd}dqmig revision --autogenerate -m \"Add users\"` and `dqmig upgrade head`"
    ));
    Ok(())
}

/// Refuses a target that exists and is not an empty folder.
fn ensure_empty(dir: &Path) -> Result<(), CliError> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if let Some(entry) = entries.next() {
                let name = entry
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .unwrap_or_default();
                return Err(CliError::Refused(format!(
                    "{} is not empty (it holds {name}, ...): `dqmig init` only writes into a new or empty folder; pass another DIR",
                    dir.display()
                )));
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) if dir.is_file() => Err(CliError::Io {
            action: "creating a project in (it is a file)",
            path: dir.to_path_buf(),
            source,
        }),
        Err(source) => Err(CliError::Io {
            action: "reading the folder",
            path: dir.to_path_buf(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_has_config_models_and_script_template() {
        for t in TEMPLATES {
            let files = render_files(t, None).unwrap();
            let names: Vec<&str> = files.iter().map(|(p, _)| *p).collect();
            for want in ["dqmig.toml", "models.toml", "migrations/script.sql.tmpl"] {
                assert!(names.contains(&want), "{}: {names:?}", t.name);
            }
            let (_, config) = files.iter().find(|(p, _)| *p == "dqmig.toml").unwrap();
            let cfg = dqmig::config::Config::parse("dqmig.toml", config, Path::new("/p")).unwrap();
            assert!(cfg.url.is_some(), "{}", t.name);
            assert!(!config.contains(ADDRESS_VAR));
            let (_, models) = files.iter().find(|(p, _)| *p == "models.toml").unwrap();
            let schema = dqmig::models::load_toml_str("models.toml", models).unwrap();
            assert_eq!(schema.tables.len(), 2);
        }
    }

    #[test]
    fn generic_url_is_embedded_with_data_in_the_project() {
        let files = render_files(find_template("generic").unwrap(), None).unwrap();
        let (_, config) = files.iter().find(|(p, _)| *p == "dqmig.toml").unwrap();
        let cfg = dqmig::config::Config::parse("dqmig.toml", config, Path::new("/proj")).unwrap();
        let url = cfg.database_url(None, None).unwrap();
        assert_eq!(
            url.to_string(),
            "dqlite:///127.0.0.1:9001/proj/.dqmig/app.db"
        );

        let files =
            render_files(find_template("generic").unwrap(), Some("127.0.0.1:4444")).unwrap();
        assert!(files[0]
            .1
            .contains("dqlite:///127.0.0.1:4444/./.dqmig/app.db"));
    }

    #[test]
    fn bad_template_and_address_are_refused() {
        let e = find_template("nope").err().unwrap().report();
        assert!(e.contains("generic, cluster"), "{e}");
        let e = render_files(find_template("cluster").unwrap(), Some("127.0.0.1:1"))
            .err()
            .unwrap()
            .report();
        assert!(e.contains("starts no node"), "{e}");
        let e = render_files(find_template("generic").unwrap(), Some("nowhere"))
            .err()
            .unwrap()
            .report();
        assert!(e.contains("nowhere"), "{e}");
    }
}
