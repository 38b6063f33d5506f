//! The embedded default database: a private PostgreSQL cluster run from the locally installed
//! binaries, kept in `<data_dir>/pgdata`, listening only on a Unix socket in `<data_dir>/run`.
//! Run as root, PostgreSQL runs as the `postgres` system user (initdb refuses root).
//!
//! Whoever runs on a data directory owns the cluster's lifecycle, whoever started it:
//! - every server using the cluster holds a shared lock on `<data_dir>/pg.users` while it runs
//!   (the kernel drops it when the process dies, `kill -9` included);
//! - starting and stopping are serialized by an exclusive lock on `<data_dir>/pg.lock`;
//! - a server that stops takes `pg.users` exclusively if it can: then no other server uses the
//!   cluster and it stops it (a cluster left behind by a dead server is adopted, and stopped by
//!   the last server to leave);
//! - a `postmaster.pid` whose process is gone, a zombie, or not a postmaster of this directory is
//!   stale: it is removed with the socket's lock file, and the cluster started.

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
    /// `<data_dir>/pg.lock`: held exclusively while starting or stopping.
    lock_path: PathBuf,
    /// This process's share of the cluster: a shared lock on `<data_dir>/pg.users`.
    user: Option<File>,
    /// Whether this process started the server (rather than found it running).
    started_here: bool,
}

const LOCK_SH: i32 = 1;
const LOCK_EX: i32 = 2;
const LOCK_NB: i32 = 4;

/// Takes `op` on `file` (retrying when a signal interrupts the wait).
fn lock(file: &File, op: i32) -> bool {
    loop {
        if unsafe { flock(file.as_raw_fd(), op) } == 0 {
            return true;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            return false;
        }
    }
}

/// What `postmaster.pid` says of the cluster.
#[derive(Debug, PartialEq, Eq)]
enum Postmaster {
    /// No `postmaster.pid`.
    Absent,
    /// A live postmaster of this data directory.
    Running(u32),
    /// A `postmaster.pid` left by a dead (or zombie) process, or by a process that is not a
    /// postmaster of this directory (its pid reused).
    Stale(Option<u32>),
}

/// Whether `pid` is a live (not zombie) process whose working directory is `pgdata` (a postmaster
/// runs in its data directory).
fn is_postmaster_of(pid: u32, pgdata: &Path) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else { return false };
    // `pid (comm) S ...`: the state follows the last parenthesis.
    let state = stat.rsplit_once(')').and_then(|(_, rest)| rest.trim_start().chars().next());
    if matches!(state, None | Some('Z') | Some('X')) {
        return false;
    }
    match fs::read_link(format!("/proc/{pid}/cwd")) {
        Ok(cwd) => cwd == pgdata,
        // Not ours to inspect: believe the command line.
        Err(_) => fs::read(format!("/proc/{pid}/cmdline"))
            .map(|c| String::from_utf8_lossy(&c).contains(&*pgdata.to_string_lossy()))
            .unwrap_or(false),
    }
}

fn postmaster_state(pgdata: &Path) -> Postmaster {
    let Ok(text) = fs::read_to_string(pgdata.join("postmaster.pid")) else { return Postmaster::Absent };
    match text.lines().next().and_then(|l| l.trim().parse::<u32>().ok()) {
        Some(pid) if is_postmaster_of(pid, pgdata) => Postmaster::Running(pid),
        pid => Postmaster::Stale(pid),
    }
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

        // One process at a time initialises, starts or stops the cluster.
        let lock_path = data_dir.join("pg.lock");
        let guard = File::create(&lock_path).map_err(|e| err(format!("cannot create lock file: {e}")))?;
        if !lock(&guard, LOCK_EX) {
            return Err(err("cannot lock the embedded database directory"));
        }
        // This process uses the cluster until it stops (or dies).
        let user = File::create(data_dir.join("pg.users")).map_err(|e| err(format!("cannot create lock file: {e}")))?;
        if !lock(&user, LOCK_SH) {
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

        let mut pg =
            EmbeddedPg { bin_dir, pgdata, socket_dir, run_as, lock_path, user: Some(user), started_here: false };
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
        match pg.settled_state() {
            Postmaster::Running(pid) => {
                tracing::info!(pid, "the embedded PostgreSQL is running already: using it");
            }
            state => {
                if let Postmaster::Stale(pid) = state {
                    tracing::warn!(pid, "a stale postmaster.pid (its server is gone): recovering");
                    pg.remove_stale_files();
                }
                pg.start_cluster(&data_dir, durability)?;
                pg.started_here = true;
            }
        }
        drop(guard);
        Ok(pg)
    }

    pub fn connect_options(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new().socket(&self.socket_dir).port(PORT).username("postgres").database(database)
    }

    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// Starts the cluster (`pg_ctl start -w`); a start refused while the old server's backends
    /// still hold its shared memory (they leave within moments of their postmaster) is retried.
    fn start_cluster(&self, data_dir: &Path, durability: Durability) -> Result<(), EmbeddedError> {
        let log = data_dir.join("postgres.log");
        let mut opts = format!(
            // autovacuum_naptime: the queue-like tables (messages, callbacks) are vacuumed within a
            // second of their threshold, not a minute. wal_init_zero=off: a new WAL segment is not
            // first written full of zeros (16 MB written and flushed before the WAL it holds; a
            // stall of ~50 ms every 16 MB of a file's upload); wal_buffers: the 1 MiB records of
            // file chunks fill the default 4 MB at once.
            "-k {} -c listen_addresses='' -p {PORT} -c max_connections=300 -c shared_buffers=128MB -c autovacuum_naptime=1 -c wal_init_zero=off -c wal_buffers=16MB",
            self.socket_dir.display()
        );
        if durability == Durability::Throwaway {
            opts.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        } else if self.accepts("wal_compression", "lz4") {
            // The first change of a page after a checkpoint writes the whole page to the WAL;
            // numbers added into the space rentals freed across the inventory touch a page each:
            // compressed, 10,000-number batches went in 14% faster (bench/dids.sh, session 11).
            opts.push_str(" -c wal_compression=lz4");
        }
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = self.run(
                "pg_ctl",
                [
                    OsStr::new("start"),
                    OsStr::new("-w"),
                    OsStr::new("-t"),
                    OsStr::new("60"),
                    OsStr::new("-D"),
                    self.pgdata.as_os_str(),
                    OsStr::new("-l"),
                    log.as_os_str(),
                    OsStr::new("-o"),
                    OsStr::new(&opts),
                ],
            );
            match started {
                Ok(()) => return Ok(()),
                Err(e) => {
                    if let Postmaster::Running(_) = postmaster_state(&self.pgdata) {
                        return Ok(());
                    }
                    if attempt >= 20 {
                        return Err(err(format!("{e}; {}", last_log_line(&log))));
                    }
                    // What the failed start (or a dead server) left behind goes before the retry.
                    self.remove_stale_files();
                }
            }
            std::thread::sleep(std::time::Duration::from_millis(250));
        }
    }

    /// The cluster's state once it is settled: a postmaster that is still there but does not
    /// accept connections on its socket is either starting (then it soon does) or dying (killed
    /// with its server: then it soon is gone), so it is watched for a few seconds.
    fn settled_state(&self) -> Postmaster {
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        for _ in 0..100 {
            match postmaster_state(&self.pgdata) {
                Postmaster::Running(pid) => {
                    if std::os::unix::net::UnixStream::connect(&socket).is_ok() {
                        return Postmaster::Running(pid);
                    }
                }
                other => return other,
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        postmaster_state(&self.pgdata)
    }

    /// Removes what a dead server left: `postmaster.pid` and the socket's lock file and socket.
    fn remove_stale_files(&self) {
        let _ = fs::remove_file(self.pgdata.join("postmaster.pid"));
        let socket = self.socket_dir.join(format!(".s.PGSQL.{PORT}"));
        let _ = fs::remove_file(socket.with_extension(format!("{PORT}.lock")));
        let _ = fs::remove_file(&socket);
    }

    /// Leaves the cluster: the last server using it stops it (fast shutdown), whoever started it.
    pub fn stop(&self) {
        let Some(user) = &self.user else { return };
        let Ok(guard) = File::create(&self.lock_path) else { return };
        if !lock(&guard, LOCK_EX) {
            return;
        }
        // Exclusive only when no other server holds its share.
        if !lock(user, LOCK_EX | LOCK_NB) {
            tracing::info!("the embedded PostgreSQL stays up: another server uses it");
            return;
        }
        tracing::info!("stopping the embedded PostgreSQL");
        let _ = self
            .command("pg_ctl")
            .args([OsStr::new("stop"), OsStr::new("-m"), OsStr::new("fast"), OsStr::new("-w"), OsStr::new("-D")])
            .arg(&self.pgdata)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }

    /// Whether this `postgres` takes a setting's value (`lz4` needs a build with it): asked with
    /// `postgres -C`, which prints the value and exits without starting a server.
    fn accepts(&self, name: &str, value: &str) -> bool {
        self.command("postgres")
            .arg("-D")
            .arg(&self.pgdata)
            .args(["-c", &format!("{name}={value}"), "-C", name])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .is_ok_and(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == value)
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

/// The last line of the server's log that says something, to tell why it did not start.
fn last_log_line(log: &Path) -> String {
    fs::read_to_string(log)
        .ok()
        .and_then(|t| t.lines().rev().find(|l| !l.trim().is_empty()).map(|l| l.trim().to_owned()))
        .map(|l| format!("its log ({}) ends: {l}", log.display()))
        .unwrap_or_else(|| format!("see {}", log.display()))
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
