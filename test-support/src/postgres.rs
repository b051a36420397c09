//! A throwaway PostgreSQL server for tests: Debian's `postgresql` binaries, a cluster made by
//! `initdb` in a temporary directory, listening on 127.0.0.1 (a free port) and on a unix
//! socket in that directory, with password (SCRAM) authentication for one user. Stopped and
//! deleted when dropped.
//!
//! ```no_run
//! let Some(pg) = tentacular_test_support::postgres::start("my_test") else { return };
//! assert_eq!(pg.psql("SELECT 1 + 1").unwrap(), "2");
//! println!("postgresql://{}:{}@{}:{}/{}", pg.user, pg.password, pg.host, pg.port, pg.database);
//! ```
//!
//! The binaries are looked for in `$TENTACULAR_POSTGRES_BIN` (a directory), then on `PATH`,
//! then in `/usr/lib/postgresql/<version>/bin` (the newest version; where Debian puts them).
//! PostgreSQL refuses to run as root: when the tests run as root, the server runs as the
//! `postgres` user (which the Debian package creates), else as `nobody`.

use std::fmt;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How long the server may take to accept connections.
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// What went wrong starting the server.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PostgresError {
    /// No PostgreSQL server binaries were found.
    #[error(
        "no PostgreSQL binaries (initdb, postgres) in $TENTACULAR_POSTGRES_BIN, on PATH or in /usr/lib/postgresql/*/bin"
    )]
    NotInstalled,
    /// A file or directory operation failed.
    #[error("{what} {}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// On what.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A PostgreSQL program failed.
    #[error("{program} failed ({status}):\n{output}")]
    Program {
        /// Which program.
        program: String,
        /// Its exit status.
        status: String,
        /// Its stdout and stderr.
        output: String,
    },
    /// The server did not come up in time (or exited).
    #[error("the PostgreSQL server did not accept connections within {secs}s; its log:\n{log}", secs = READY_TIMEOUT.as_secs())]
    NotReady {
        /// The server's log.
        log: String,
    },
}

/// A running throwaway server. Connect with [`Postgres::host`], [`Postgres::port`],
/// [`Postgres::user`], [`Postgres::password`] and [`Postgres::database`] (TCP on
/// 127.0.0.1), or through the unix socket in [`Postgres::socket_dir`].
pub struct Postgres {
    /// The address it listens on: `127.0.0.1`.
    pub host: String,
    /// The TCP port (chosen free at start).
    pub port: u16,
    /// The user (a superuser of this cluster).
    pub user: String,
    /// The user's password (SCRAM-SHA-256; connections without it are refused).
    pub password: String,
    /// A database the user owns, created empty.
    pub database: String,
    bin: PathBuf,
    child: Child,
    dir: tempfile::TempDir,
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("database", &self.database)
            .field("dir", &self.dir.path())
            .finish()
    }
}

/// Starts a server for `test`, or reports that PostgreSQL is missing through
/// [`crate::missing`] (a failure under CI, a SKIP line elsewhere) and returns `None`. Any
/// other failure to start panics with the server's log.
#[track_caller]
pub fn start(test: &str) -> Option<Postgres> {
    match Postgres::start() {
        Ok(pg) => Some(pg),
        Err(PostgresError::NotInstalled) => {
            crate::missing(
                test,
                "PostgreSQL (initdb, postgres)",
                "apt-get install --no-install-recommends postgresql (.ci/run does this), or set \
                 TENTACULAR_POSTGRES_BIN to the directory holding initdb and postgres",
            );
            None
        }
        Err(e) => panic!("{test}: cannot start PostgreSQL: {e}"),
    }
}

impl Postgres {
    /// Makes a cluster in a new temporary directory and starts its server; waits until it
    /// accepts connections. The database is `tentacular`, the user `tentacular`.
    pub fn start() -> Result<Postgres, PostgresError> {
        let bin = find_bin().ok_or(PostgresError::NotInstalled)?;
        let dir = tempfile::Builder::new()
            .prefix("tentacular-pg-")
            .tempdir()
            .map_err(|e| io("creating a temporary directory in", std::env::temp_dir(), e))?;
        let run_as = RunAs::current();
        let password = format!("pw-{}-{:x}", std::process::id(), nanos());
        let pwfile = dir.path().join("pwfile");
        std::fs::write(&pwfile, format!("{password}\n"))
            .map_err(|e| io("writing", pwfile.clone(), e))?;
        run_as.give(dir.path())?;
        run_as.give(&pwfile)?;
        let data = dir.path().join("data");
        let user = "tentacular".to_string();
        let initdb = run_as
            .command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args([
                "-U",
                &user,
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--no-locale",
            ])
            .args(["--no-sync", "--no-instructions"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output();
        check("initdb", initdb)?;
        let _ = std::fs::remove_file(&pwfile);

        // A free port can be taken between choosing and binding it: try a few.
        let mut last = None;
        for _ in 0..5 {
            let port = free_port();
            match serve(&bin, &data, dir.path(), port, run_as) {
                Ok(child) => {
                    let pg = Postgres {
                        host: "127.0.0.1".into(),
                        port,
                        user,
                        password,
                        database: "tentacular".into(),
                        bin,
                        child,
                        dir,
                    };
                    pg.create_database()?;
                    return Ok(pg);
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.expect("tried at least once"))
    }

    /// The directory holding the server's unix socket (`.s.PGSQL.<port>`), for clients that
    /// take a socket directory as host.
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("postgres.log")).unwrap_or_default()
    }

    /// Runs `sql` with `psql` over TCP as the user, in the database; returns the rows as
    /// psql prints them unaligned without headers (`-At`: one row a line, columns split by
    /// `|`), trimmed.
    pub fn psql(&self, sql: &str) -> Result<String, PostgresError> {
        let psql = self.bin.join("psql");
        let psql = if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let out = Command::new(&psql)
            .args(["-X", "-At", "-v", "ON_ERROR_STOP=1"])
            .args(["-h", &self.host, "-p", &self.port.to_string()])
            .args(["-U", &self.user, "-d", &self.database, "-c", sql])
            .env("PGPASSWORD", &self.password)
            .env("PGCONNECT_TIMEOUT", "10")
            .stdin(Stdio::null())
            .output();
        let out = check("psql", out)?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }

    fn create_database(&self) -> Result<(), PostgresError> {
        let out = Command::new(self.bin.join("createdb"))
            .args(["-h", &self.host, "-p", &self.port.to_string()])
            .args(["-U", &self.user, &self.database])
            .env("PGPASSWORD", &self.password)
            .stdin(Stdio::null())
            .output();
        check("createdb", out).map(drop)
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        shutdown(&mut self.child);
    }
}

/// Starts the server on `port` and waits until it accepts connections: the startup message
/// in its log, and a startup packet over TCP answered with an authentication request. A
/// server that does not come up is stopped.
fn serve(
    bin: &Path,
    data: &Path,
    dir: &Path,
    port: u16,
    run_as: RunAs,
) -> Result<Child, PostgresError> {
    let log = dir.join("postgres.log");
    let log_file = std::fs::File::create(&log).map_err(|e| io("creating", log.clone(), e))?;
    run_as.give(&log)?;
    let mut child = run_as
        .command(&bin.join("postgres"))
        .arg("-D")
        .arg(data)
        .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-k"])
        .arg(dir)
        // A throwaway cluster: durability buys nothing and costs seconds.
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=50"])
        .stdin(Stdio::null())
        .stdout(
            log_file
                .try_clone()
                .map_err(|e| io("opening", log.clone(), e))?,
        )
        .stderr(log_file)
        .spawn()
        .map_err(|e| io("starting", bin.join("postgres"), e))?;
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + READY_TIMEOUT;
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        if read_log().contains("ready to accept connections") && answers(port) {
            return Ok(child);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    shutdown(&mut child);
    Err(PostgresError::NotReady { log: read_log() })
}

/// True when a startup packet to 127.0.0.1:`port` gets an authentication request back.
fn answers(port: u16) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    // StartupMessage: length, protocol 3.0, user, database, terminator.
    let mut body = 196608u32.to_be_bytes().to_vec();
    for (k, v) in [("user", "tentacular"), ("database", "postgres")] {
        body.extend_from_slice(k.as_bytes());
        body.push(0);
        body.extend_from_slice(v.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut msg = ((body.len() + 4) as u32).to_be_bytes().to_vec();
    msg.extend_from_slice(&body);
    let mut answer = [0u8; 1];
    s.write_all(&msg).is_ok() && s.read_exact(&mut answer).is_ok() && answer[0] == b'R'
}

/// Stops the server: SIGINT (PostgreSQL's "fast" shutdown: roll back, close connections,
/// exit), then a kill after 10 s.
fn shutdown(child: &mut Child) {
    if let Ok(Some(_)) = child.try_wait() {
        return;
    }
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(pid, libc::SIGINT) };
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Who the server runs as: ourselves, or (when we are root) an unprivileged user that is
/// given the cluster's files.
#[derive(Debug, Clone, Copy)]
enum RunAs {
    Me,
    User { uid: u32, gid: u32 },
}

impl RunAs {
    fn current() -> RunAs {
        // SAFETY: geteuid(2) cannot fail and touches no memory.
        if unsafe { libc::geteuid() } != 0 {
            return RunAs::Me;
        }
        let (uid, gid) = user_ids("postgres").unwrap_or((65534, 65534));
        RunAs::User { uid, gid }
    }

    fn command(&self, program: &Path) -> Command {
        let mut c = Command::new(program);
        c.env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("LC_ALL", "C")
            .current_dir("/");
        if let RunAs::User { uid, gid } = *self {
            // std drops the supplementary groups before switching users.
            c.uid(uid).gid(gid);
        }
        c
    }

    /// Hands `path` to the server's user (mode 0700 for a directory, 0600 for a file).
    fn give(&self, path: &Path) -> Result<(), PostgresError> {
        let RunAs::User { uid, gid } = *self else {
            return Ok(());
        };
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| io("handing to the postgres user", path.to_path_buf(), e))?;
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| io("setting the mode of", path.to_path_buf(), e))
    }
}

/// The uid and gid of `name` from `/etc/passwd`.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|l| {
        let f: Vec<&str> = l.split(':').collect();
        (f.len() > 3 && f[0] == name).then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))?
    })
}

/// The directory holding `initdb` and `postgres`.
fn find_bin() -> Option<PathBuf> {
    let has = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    if let Some(d) = std::env::var_os("TENTACULAR_POSTGRES_BIN").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(d)).filter(|d| has(d));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    if let Some(d) = std::env::split_paths(&path).find(|d| has(d)) {
        // Debian links some binaries into PATH; the real directory has them all (createdb).
        let real = std::fs::canonicalize(d.join("initdb")).ok();
        return Some(
            real.and_then(|r| r.parent().map(Path::to_path_buf))
                .filter(|r| has(r))
                .unwrap_or(d),
        );
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| {
            let e = e.ok()?;
            let v = e.file_name().to_str()?.parse().ok()?;
            Some((v, e.path().join("bin")))
        })
        .filter(|(_, d)| has(d))
        .collect();
    versions.sort();
    versions.pop().map(|(_, d)| d)
}

fn check(program: &str, out: std::io::Result<Output>) -> Result<Output, PostgresError> {
    let out = out.map_err(|e| io("running", PathBuf::from(program), e))?;
    if out.status.success() {
        return Ok(out);
    }
    Err(PostgresError::Program {
        program: program.into(),
        status: out.status.to_string(),
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    })
}

fn io(what: &'static str, path: PathBuf, source: std::io::Error) -> PostgresError {
    PostgresError::Io { what, path, source }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(54329)
}

fn nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_throwaway_server_takes_rows_over_tcp_with_its_password_and_stops_on_drop() {
        let Some(pg) =
            start("a_throwaway_server_takes_rows_over_tcp_with_its_password_and_stops_on_drop")
        else {
            return;
        };
        pg.psql("CREATE TABLE t (id serial PRIMARY KEY, v text)")
            .unwrap();
        pg.psql("INSERT INTO t (v) VALUES ('a'), ('b')").unwrap();
        assert_eq!(
            pg.psql("SELECT id, v FROM t ORDER BY id").unwrap(),
            "1|a\n2|b"
        );
        assert!(
            pg.socket_dir()
                .join(format!(".s.PGSQL.{}", pg.port))
                .exists()
        );

        // A wrong password is refused: the server really checks it.
        let wrong = Command::new(pg.bin.join("psql"))
            .args(["-X", "-At", "-h", "127.0.0.1", "-p", &pg.port.to_string()])
            .args(["-U", &pg.user, "-d", &pg.database, "-c", "SELECT 1"])
            .env("PGPASSWORD", "not-the-password")
            .output()
            .unwrap();
        assert!(!wrong.status.success());
        assert!(
            String::from_utf8_lossy(&wrong.stderr).contains("password authentication failed"),
            "{}",
            String::from_utf8_lossy(&wrong.stderr)
        );

        let dir = pg.socket_dir().to_path_buf();
        let port = pg.port;
        drop(pg);
        assert!(
            TcpStream::connect(("127.0.0.1", port)).is_err(),
            "still listening"
        );
        assert!(!dir.exists(), "{} left behind", dir.display());
    }

    #[test]
    fn the_passwd_lookup_finds_root() {
        assert_eq!(user_ids("root"), Some((0, 0)));
        assert_eq!(user_ids("no-such-user-here"), None);
    }
}
