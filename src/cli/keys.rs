//! `mainspring keys create|list|revoke`: key management from the shell, for the first
//! key of a new installation and for operators. `create` prints the key alone on its
//! last line so scripts can take it with `tail -n 1`.

use clap::Subcommand;
use diesel::{Connection, PgConnection};

use crate::auth::{keys, Role};
use crate::ids::{KeyId, TechnicianId};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (alone on the last line).
    Create {
        /// admin, planner, warehouse, technician or viewer.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Who or what the key is for (shown in lists and recorded on changes).
        #[arg(long)]
        name: String,
        /// The technician a technician key acts as.
        #[arg(long, value_name = "ID")]
        technician: Option<TechnicianId>,
    },
    /// List keys (never the keys themselves).
    List {
        /// Include revoked keys.
        #[arg(long)]
        all: bool,
    },
    /// Revoke a key by its id.
    Revoke { id: KeyId },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "expected admin, planner, warehouse, technician or viewer".into())
}

pub fn run(command: KeysCommand, database_url: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::establish(database_url)?;
    match command {
        KeysCommand::Create {
            role,
            name,
            technician,
        } => {
            let (record, key) = keys::create(&mut conn, &name, role, technician)
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "created {} key `{}` with id {}",
                record.role.0, record.name, record.id
            );
            println!("{key}");
        }
        KeysCommand::List { all } => {
            let mut after = None;
            println!(
                "{:<36}  {:<10}  {:<12}  {:<20}  name",
                "id", "role", "prefix", "revoked"
            );
            loop {
                let rows = keys::list(&mut conn, all, after, 500)?;
                let Some(last) = rows.last() else { break };
                after = Some(last.id);
                for k in &rows {
                    let revoked = k
                        .revoked_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_default();
                    println!(
                        "{:<36}  {:<10}  {:<12}  {:<20}  {}",
                        k.id, k.role.0, k.key_prefix, revoked, k.name
                    );
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let k = keys::revoke(&mut conn, id).map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("revoked key {} ({})", k.id, k.name);
        }
    }
    Ok(())
}
