//! The embedded default database: a private PostgreSQL cluster run from the locally installed
//! binaries, kept in `<data_dir>/pgdata`, listening only on a Unix socket in `<data_dir>/run`.
//! Run as root, PostgreSQL runs as the `postgres` system user (initdb refuses root).

use std::ffi::OsStr;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::io::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sqlx::postgres::PgConnectOptions;

const PORT: u16 = 5432;

extern "C" {
    fn geteuid() -> u32;
    fn flock(fd: i32, operation: i32) -> i32;
}

#[derive(Debug)]
pub struct EmbeddedError(pub String);

impl std::fmt::Display for EmbeddedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for EmbeddedError {}

fn err(msg: impl Into<String>) -> EmbeddedError {
    EmbeddedError(msg.into())
}

/// A running embedded cluster.
#[derive(Debug)]
pub struct EmbeddedPg {
    bin_dir: PathBuf,
    pgdata: PathBuf,
    socket_dir: PathBuf,
    run_as: Option<(u32, u32)>,
    /// Whether this process started the server (and so stops it).
    started_here: bool,
}

/// Tuning for throwaway clusters (tests): no fsync.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    Durable,
    Throwaway,
}

impl EmbeddedPg {
    /// Finds the PostgreSQL binaries: on `PATH`, else the newest `/usr/lib/postgresql/*/bin`.
    pub fn find_bin_dir() -> Result<PathBuf, EmbeddedError> {
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                    return Ok(dir);
                }
            }
        }
        let mut found: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
                let bin = e.path().join("bin");
                (bin.join("initdb").is_file() && bin.join("pg_ctl").is_file()).then_some((version, bin))
            })
            .collect();
        found.sort();
        found.pop().map(|(_, p)| p).ok_or_else(|| {
            err("no PostgreSQL binaries found (initdb, pg_ctl): install PostgreSQL (e.g. `apt-get install postgresql`) or set DATABASE_URL")
        })
    }

    /// Starts (or reuses) the cluster under `data_dir`, creating it on first use.
    pub fn start(data_dir: &Path, durability: Durability) -> Result<Self, EmbeddedError> {
        let bin_dir = Self::find_bin_dir()?;
        fs::create_dir_all(data_dir).map_err(|e| err(format!("cannot create {}: {e}", data_dir.display())))?;
        let data_dir =
            data_dir.canonicalize().map_err(|e| err(format!("cannot resolve {}: {e}", data_dir.display())))?;
        let pgdata = data_dir.join("pgdata");
        let socket_dir = data_dir.join("run");
        let run_as = if unsafe { geteuid() } == 0 { Some(postgres_user()?) } else { None };

        // One process at a time initialises and starts the cluster (tests run many at once).
        let lock = File::create(data_dir.join("pg.lock")).map_err(|e| err(format!("cannot create lock file: {e}")))?;
        if unsafe { flock(lock.as_raw_fd(), 2) } != 0 {
            return Err(err("cannot lock the embedded database directory"));
        }

        {
            let dir = &socket_dir;
            fs::create_dir_all(dir).map_err(|e| err(format!("cannot create {}: {e}", dir.display())))?;
        }
        if let Some((uid, gid)) = run_as {
            for dir in [&data_dir, &socket_dir] {
                std::os::unix::fs::chown(dir, Some(uid), Some(gid))
                    .map_err(|e| err(format!("cannot hand {} to the postgres user: {e}", dir.display())))?;
            }
            check_traversable(&data_dir)?;
        }

        let mut pg = EmbeddedPg { bin_dir, pgdata, socket_dir, run_as, started_here: false };
        if !pg.pgdata.join("PG_VERSION").is_file() {
            if pg.pgdata.exists() {
                let _ = fs::remove_dir_all(&pg.pgdata);
            }
            pg.run(
                "initdb",
                [
                    OsStr::new("-D"),
                    pg.pgdata.as_os_str(),
                    OsStr::new("-U"),
                    OsStr::new("postgres"),
                    OsStr::new("--auth=trust"),
                    OsStr::new("-E"),
                    OsStr::new("UTF8"),
                    OsStr::new("--locale=C"),
                    OsStr::new("--no-instructions"),
                ],
            )?;
        }
        if !pg.is_running() {
            let log = data_dir.join("postgres.log");
            let mut opts = format!(
                "-k {} -c listen_addresses='' -p {PORT} -c max_connections=300 -c shared_buffers=128MB",
                pg.socket_dir.display()
            );
            if durability == Durability::Throwaway {
                opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
            }
            pg.run(
                "pg_ctl",
                [
                    OsStr::new("start"),
                    OsStr::new("-w"),
                    OsStr::new("-t"),
                    OsStr::new("60"),
                    OsStr::new("-D"),
                    pg.pgdata.as_os_str(),
                    OsStr::new("-l"),
                    log.as_os_str(),
                    OsStr::new("-o"),
                    OsStr::new(&opts),
                ],
            )?;
            pg.started_here = true;
        }
        drop(lock);
        Ok(pg)
    }

    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.socket_dir).port(PORT).username("postgres").database(database)
    }

    pub fn started_here(&self) -> bool {
        self.started_here
    }

    fn is_running(&self) -> bool {
        self.command("pg_ctl")
            .arg("status")
            .arg("-D")
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false)
    }

    /// Stops the cluster (fast shutdown) if this process started it.
    pub fn stop(&self) {
        if !self.started_here {
            return;
        }
        let _ = self
            .command("pg_ctl")
            .args([OsStr::new("stop"), OsStr::new("-m"), OsStr::new("fast"), OsStr::new("-w"), OsStr::new("-D")])
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(self.bin_dir.join(program));
        cmd.current_dir(self.pgdata.parent().unwrap_or(Path::new("/")));
        cmd.env_remove("PGDATA").env_remove("PGHOST").env_remove("PGPORT");
        if let Some((uid, gid)) = self.run_as {
            cmd.uid(uid).gid(gid).env("HOME", self.pgdata.parent().unwrap_or(Path::new("/")));
        }
        cmd
    }

    fn run<I, S>(&self, program: &str, args: I) -> Result<(), EmbeddedError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = self
            .command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| err(format!("cannot run {program}: {e}")))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(err(format!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&out.stderr).trim(),
                String::from_utf8_lossy(&out.stdout).trim()
            )))
        }
    }
}

fn postgres_user() -> Result<(u32, u32), EmbeddedError> {
    let passwd = fs::read_to_string("/etc/passwd").map_err(|e| err(format!("cannot read /etc/passwd: {e}")))?;
    for line in passwd.lines() {
        let f: Vec<&str> = line.split(':').collect();
        if f.len() > 3 && f[0] == "postgres" {
            let uid = f[2].parse().map_err(|_| err("bad uid for postgres in /etc/passwd"))?;
            let gid = f[3].parse().map_err(|_| err("bad gid for postgres in /etc/passwd"))?;
            return Ok((uid, gid));
        }
    }
    Err(err("running as root, the embedded PostgreSQL needs a `postgres` system user (initdb refuses root); create one or set DATABASE_URL"))
}

/// The postgres user must be able to reach the data directory through its parents.
fn check_traversable(dir: &Path) -> Result<(), EmbeddedError> {
    for parent in dir.ancestors().skip(1) {
        if let Ok(meta) = fs::metadata(parent) {
            if meta.permissions().mode() & 0o001 == 0 {
                return Err(err(format!(
                    "the postgres user cannot reach {} (its parent {} is not searchable by others): set CARRIERX_DATA_DIR elsewhere or DATABASE_URL",
                    dir.display(),
                    parent.display()
                )));
            }
        }
    }
    Ok(())
}
