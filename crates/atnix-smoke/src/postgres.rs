//! The `postgresql` need: Debian's PostgreSQL in the container, set up as the
//! case's `services.postgresql` would be on NixOS (its pg_ident and pg_hba
//! lines, roles and databases), before the unit starts. NixOS' defaults
//! (`local all all peer` after the module's lines) are Debian's too.

use atnix_eval::PostgresqlDef;

use crate::check::shell_quote;

/// A root shell script that adds the case's pg_ident and pg_hba lines to the
/// newest installed PostgreSQL's `main` cluster (creating it if the package
/// did not), (re)starts it, and ensures the case's roles and databases.
pub fn provision_script(def: &PostgresqlDef) -> String {
    let mut s = String::from(
        "set -e\n\
         ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)\n\
         [ -n \"$ver\" ] || { echo 'no PostgreSQL in the root file system' >&2; exit 1; }\n\
         [ -d /etc/postgresql/$ver/main ] || pg_createcluster \"$ver\" main >/dev/null\n\
         conf=/etc/postgresql/$ver/main\n",
    );
    // NixOS always maps the OS user postgres to the role postgres (its
    // default `local all postgres peer map=postgres` line needs it); the
    // case's authentication text may carry that line.
    let ident = format!("postgres postgres postgres\n{}", def.ident_map.trim());
    s.push_str(&format!(
        "printf '%s\\n' {} >> \"$conf/pg_ident.conf\"\n",
        shell_quote(ident.trim())
    ));
    let hba = def.authentication.trim();
    if !hba.is_empty() {
        // The module's lines come first, as NixOS puts its defaults last.
        s.push_str(&format!(
            "{{ printf '%s\\n' {}; cat \"$conf/pg_hba.conf\"; }} > \"$conf/pg_hba.conf.new\"\n\
             chown postgres:postgres \"$conf/pg_hba.conf.new\"\n\
             chmod 0640 \"$conf/pg_hba.conf.new\"\n\
             mv \"$conf/pg_hba.conf.new\" \"$conf/pg_hba.conf\"\n",
            shell_quote(hba)
        ));
    }
    // Debian starts the cluster at boot, before the lines above were added:
    // restart it so that it reads them.
    s.push_str(
        "systemctl restart \"postgresql@$ver-main.service\"\n\
         systemctl start postgresql.service\n\
         psql() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtA \"$@\"; }\n",
    );
    for user in &def.ensure_users {
        let ident = sql_ident(&user.name);
        s.push_str(&format!(
            "[ \"$(psql -c {check})\" = 1 ] || psql -c {create}\n",
            check = shell_quote(&format!(
                "SELECT 1 FROM pg_roles WHERE rolname = {}",
                sql_literal(&user.name)
            )),
            create = shell_quote(&format!("CREATE ROLE {ident} WITH LOGIN")),
        ));
    }
    for db in &def.ensure_databases {
        s.push_str(&format!(
            "[ \"$(psql -c {check})\" = 1 ] || psql -c {create}\n",
            check = shell_quote(&format!(
                "SELECT 1 FROM pg_database WHERE datname = {}",
                sql_literal(db)
            )),
            create = shell_quote(&format!("CREATE DATABASE {}", sql_ident(db))),
        ));
    }
    for user in def.ensure_users.iter().filter(|u| u.ensure_db_ownership) {
        let ident = sql_ident(&user.name);
        s.push_str(&format!(
            "psql -c {}\n",
            shell_quote(&format!("ALTER DATABASE {ident} OWNER TO {ident}"))
        ));
    }
    s
}

fn sql_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

fn sql_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use atnix_eval::PostgresqlUser;

    fn teal() -> PostgresqlDef {
        PostgresqlDef {
            ensure_databases: vec!["teal".into()],
            ensure_users: vec![PostgresqlUser {
                name: "teal".into(),
                ensure_db_ownership: true,
            }],
            ident_map: "teal teal-cadet teal\n".into(),
            authentication: "local teal teal peer map=teal\n".into(),
        }
    }

    #[test]
    fn provisions_roles_databases_and_auth_lines() {
        let s = provision_script(&teal());
        assert!(s.contains(
            "printf '%s\\n' 'postgres postgres postgres\nteal teal-cadet teal' >> \"$conf/pg_ident.conf\""
        ));
        assert!(s.contains(
            "{ printf '%s\\n' 'local teal teal peer map=teal'; cat \"$conf/pg_hba.conf\"; }"
        ));
        assert!(s.contains("CREATE ROLE \"teal\" WITH LOGIN"));
        assert!(s.contains("CREATE DATABASE \"teal\""));
        assert!(s.contains("ALTER DATABASE \"teal\" OWNER TO \"teal\""));
        // Roles before databases before ownership.
        let role = s.find("CREATE ROLE").unwrap();
        let db = s.find("CREATE DATABASE").unwrap();
        let owner = s.find("ALTER DATABASE").unwrap();
        assert!(role < db && db < owner);
    }

    #[test]
    fn quotes_names() {
        let def = PostgresqlDef {
            ensure_databases: vec!["we'ird\"db".into()],
            ..PostgresqlDef::default()
        };
        let s = provision_script(&def);
        assert!(s.contains("datname = '\\''we'\\'''\\''ird\"db'\\''"), "{s}");
        assert!(s.contains("CREATE DATABASE \"we'\\''ird\"\"db\""), "{s}");
    }

    #[test]
    fn only_the_postgres_map_without_lines() {
        let s = provision_script(&PostgresqlDef::default());
        assert!(
            s.contains("printf '%s\\n' 'postgres postgres postgres' >> \"$conf/pg_ident.conf\"")
        );
        assert!(!s.contains("pg_hba.conf"));
        assert!(s.contains("systemctl restart \"postgresql@$ver-main.service\""));
    }
}
