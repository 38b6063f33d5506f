//! The embedded PostgreSQL's lifecycle, with the real binary: whoever runs on a data directory
//! owns the cluster; a cluster left by a dead server is adopted, a stale `postmaster.pid` is
//! recovered, several servers share one cluster and the last to stop stops it, and an
//! acknowledged write survives a crash.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::common::*;

/// A scratch data directory; whatever still runs on it is stopped when the test ends.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> DataDir {
        let dir = std::env::temp_dir().join(format!("carrierx-life-{}", new_uuid()));
        std::fs::create_dir_all(&dir).unwrap();
        DataDir(dir)
    }

    fn pgdata(&self) -> PathBuf {
        self.0.join("pgdata")
    }

    /// The live (not zombie) processes of this cluster: a postmaster and its backends all run in
    /// the data directory.
    fn postgres_pids(&self) -> Vec<u32> {
        let pgdata = self.pgdata();
        std::fs::read_dir("/proc")
            .unwrap()
            .flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .filter(|pid| {
                let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|s| s.rsplit_once(')').and_then(|(_, r)| r.trim_start().chars().next()))
                    .is_some_and(|state| state != 'Z' && state != 'X');
                alive && std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd == pgdata)
            })
            .collect()
    }

    /// The postmaster's pid, from `postmaster.pid`.
    fn postmaster(&self) -> u32 {
        let text = std::fs::read_to_string(self.pgdata().join("postmaster.pid")).expect("a running cluster");
        text.lines().next().unwrap().trim().parse().unwrap()
    }

    async fn no_postgres_within(&self, within: Duration) {
        eventually(within, "no postgres process of the data directory is left", || {
            let none = self.postgres_pids().is_empty();
            async move { none }
        })
        .await;
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            // What the servers and PostgreSQL said, for the failing test's output.
            for e in std::fs::read_dir(&self.0).into_iter().flatten().flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.ends_with(".log") {
                    eprintln!("--- {name}\n{}", std::fs::read_to_string(e.path()).unwrap_or_default());
                }
            }
        }
        for pid in self.postgres_pids() {
            kill9(pid);
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn kill9(pid: u32) {
    std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status().expect("kill runs");
}

async fn create_partner(port: u16, login: &str) -> Option<u16> {
    let body = format!(r#"{{"login":"{login}","password":"life-password"}}"#);
    send_json(port, "POST", "/core/v2/partners", &body).await.map(|(status, _)| status)
}

async fn partner_exists(s: &Server, login: &str) -> bool {
    let path = format!("/core/v2/partners?filter=login+eq+{login}");
    let (status, body) = s.send_json("GET", &path, "").await.expect("the server answers");
    assert_eq!(status, 200, "{body}");
    serde_json::from_str::<Value>(&body).unwrap()["count"] == 1
}

async fn started(dir: &Path) -> Server {
    let s = Server::embedded(dir, &[]);
    s.ready().await;
    s
}

#[tokio::test]
async fn a_cluster_left_by_a_killed_server_is_adopted_and_stopped_on_sigterm() {
    let dir = DataDir::new();
    let mut a = started(&dir.0).await;
    assert_eq!(create_partner(a.port, "before_the_kill").await, Some(200));
    a.child.kill().unwrap();
    a.child.wait().unwrap();
    // Its PostgreSQL is left running.
    assert!(!dir.postgres_pids().is_empty());

    let b = started(&dir.0).await;
    assert!(partner_exists(&b, "before_the_kill").await);
    b.terminate().await;
    dir.no_postgres_within(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn a_server_killed_with_its_postgres_starts_again_at_once() {
    let dir = DataDir::new();
    let mut a = started(&dir.0).await;
    assert_eq!(create_partner(a.port, "before_both_died").await, Some(200));
    let postmaster = dir.postmaster();
    a.child.kill().unwrap();
    kill9(postmaster);
    a.child.wait().unwrap();

    // At once: postmaster.pid still names the dead (perhaps not yet reaped) postmaster.
    let b = started(&dir.0).await;
    assert!(partner_exists(&b, "before_both_died").await);
    assert_eq!(create_partner(b.port, "after_the_restart").await, Some(200));
    b.terminate().await;
    dir.no_postgres_within(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn two_servers_share_one_cluster_and_the_last_to_stop_stops_it() {
    let dir = DataDir::new();
    let a = started(&dir.0).await;
    let b = started(&dir.0).await;
    assert_eq!(create_partner(a.port, "written_by_a").await, Some(200));

    a.terminate().await;
    // b still answers, on the same cluster.
    assert!(partner_exists(&b, "written_by_a").await);
    assert_eq!(create_partner(b.port, "written_by_b").await, Some(200));
    assert!(!dir.postgres_pids().is_empty());

    b.terminate().await;
    dir.no_postgres_within(Duration::from_secs(10)).await;
}

#[tokio::test]
async fn an_acknowledged_write_survives_a_crash_mid_write() {
    let dir = DataDir::new();
    let mut a = started(&dir.0).await;
    // Writes go on while the server and its PostgreSQL are killed.
    let writer = {
        let port = a.port;
        tokio::spawn(async move {
            let mut acknowledged = Vec::new();
            for i in 0..400 {
                let login = format!("crash_{i}");
                match create_partner(port, &login).await {
                    Some(200) => acknowledged.push(login),
                    _ => break,
                }
            }
            acknowledged
        })
    };
    eventually(Duration::from_secs(30), "some writes are acknowledged", || async {
        partner_exists(&a, "crash_5").await
    })
    .await;
    let postmaster = dir.postmaster();
    a.child.kill().unwrap();
    kill9(postmaster);
    a.child.wait().unwrap();
    let acknowledged = writer.await.unwrap();
    // The writes are one after the other: crash_5 was sent once crash_4 was acknowledged (crash_5
    // itself may be committed and still unanswered when the kill comes).
    assert!(acknowledged.len() >= 5, "{acknowledged:?}");

    let b = started(&dir.0).await;
    for login in &acknowledged {
        assert!(partner_exists(&b, login).await, "{login} was acknowledged and is lost");
    }
    b.terminate().await;
    dir.no_postgres_within(Duration::from_secs(10)).await;
}
