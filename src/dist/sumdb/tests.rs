use std::cell::RefCell;

use super::testdb::TestLog;
use super::*;

/// A remote answering from a [`TestLog`], recording the paths asked for.
struct LogRemote {
    log: RefCell<TestLog>,
    asked: RefCell<Vec<String>>,
    down: bool,
}

impl LogRemote {
    fn new(log: TestLog) -> LogRemote {
        LogRemote {
            log: RefCell::new(log),
            asked: RefCell::new(Vec::new()),
            down: false,
        }
    }
}

impl Remote for LogRemote {
    fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
        self.asked.borrow_mut().push(path.to_string());
        if self.down {
            return Err(RemoteError::Unreachable("connection refused".into()));
        }
        self.log.borrow().serve(path).ok_or(RemoteError::NotFound {
            url: format!("test://{path}"),
        })
    }
    fn base(&self) -> String {
        "test://db".into()
    }
}

const MODULE: &str = "golang.org/toolchain";
const VERSION: &str = "v0.0.1-go1.22.6.linux-amd64";
const H1: &str = "h1:bNlzYVDdz3HI0dMPvwv7Fxx9i4gPk9afUcR+fLwLB64=";

fn db_for(log: &TestLog) -> Database {
    let Setting::Use(db) = config::parse(&log.vkey()).unwrap() else {
        panic!()
    };
    db
}

fn log_with_record(filler_before: usize, filler_after: usize) -> TestLog {
    let mut log = TestLog::new("sum.test.example", 7);
    log.add_filler(filler_before);
    log.add(MODULE, VERSION, H1);
    log.add_filler(filler_after);
    log
}

#[test]
fn verifies_a_lookup_across_tiles_and_stores_the_head() {
    // 300 + 1 + 40 records: two level-0 tiles, a partial one, and a level-1 tile.
    let log = log_with_record(300, 40);
    let db = db_for(&log);
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    let remote = LogRemote::new(log.clone());
    let got = Client::new(&db, &remote, &store)
        .lookup(MODULE, VERSION)
        .unwrap();
    assert_eq!(got.zip_h1, H1);
    assert_eq!((got.record, got.tree_size), (300, 341));
    assert!(remote
        .asked
        .borrow()
        .iter()
        .any(|p| p.starts_with("tile/8/0/001")));
    assert_eq!(
        store.load(&db.name).unwrap().unwrap(),
        log.signed_tree_at(341)
    );

    // The log grows; the new head must extend the stored one, and replaces it.
    remote.log.borrow_mut().add_filler(600);
    Client::new(&db, &remote, &store)
        .lookup(MODULE, VERSION)
        .unwrap();
    assert_eq!(
        store.load(&db.name).unwrap().unwrap(),
        remote.log.borrow().signed_tree_at(941)
    );
}

#[test]
fn a_fork_is_refused() {
    let log = log_with_record(10, 10);
    let db = db_for(&log);
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    Client::new(&db, &LogRemote::new(log.clone()), &store)
        .lookup(MODULE, VERSION)
        .unwrap();
    let stored = store.load(&db.name).unwrap();

    // Same key, other history: a larger tree whose first 21 records differ.
    let mut forked = TestLog::new("sum.test.example", 7);
    forked.add_filler(5);
    forked.add(MODULE, VERSION, H1);
    forked.add_filler(30);
    let e = Client::new(&db, &LogRemote::new(forked.clone()), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::Fork { .. }), "{e}");
    assert!(e.to_string().contains("SECURITY ERROR"), "{e}");
    // Same size, other hash: a fork too. The stored head is left as it was.
    let mut same_size = TestLog::new("sum.test.example", 7);
    same_size.add(MODULE, VERSION, H1);
    same_size.add_filler(20);
    let e = Client::new(&db, &LogRemote::new(same_size), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::Fork { .. }), "{e}");
    // Smaller and inconsistent.
    let mut smaller = TestLog::new("sum.test.example", 7);
    smaller.add(MODULE, VERSION, H1);
    smaller.add_filler(3);
    let e = Client::new(&db, &LogRemote::new(smaller), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::Fork { .. }), "{e}");
    assert_eq!(store.load(&db.name).unwrap(), stored);
}

#[test]
fn an_older_consistent_head_is_fine() {
    let mut log = log_with_record(3, 0);
    let db = db_for(&log);
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    let old = log.clone();
    log.add_filler(50);
    Client::new(&db, &LogRemote::new(log.clone()), &store)
        .lookup(MODULE, VERSION)
        .unwrap();
    // A lagging mirror of the database serves the older head: proven against the
    // newer stored one, and the record proven in the stored tree.
    let old_remote = LogRemote::new(old);
    let e = Client::new(&db, &old_remote, &store).lookup(MODULE, VERSION);
    // A server that cannot serve the tiles of the stored tree cannot prove it agrees
    // with it: refused, as Go's client refuses it.
    assert!(matches!(e, Err(SumdbError::Fork { .. })), "{e:?}");
    // One that serves the newer tiles (a cache lagging only in its head) proves it.
    struct Lagging(TestLog, TestLog);
    impl Remote for Lagging {
        fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
            let log = if path.starts_with("lookup/") {
                &self.0
            } else {
                &self.1
            };
            log.serve(path)
                .ok_or(RemoteError::NotFound { url: path.into() })
        }
        fn base(&self) -> String {
            "test://db".into()
        }
    }
    let got = Client::new(
        &db,
        &Lagging(old_remote.log.into_inner(), log.clone()),
        &store,
    )
    .lookup(MODULE, VERSION)
    .unwrap();
    assert_eq!(got.tree_size, 54);
    assert_eq!(
        store.load(&db.name).unwrap().unwrap(),
        log.signed_tree_at(54)
    );
}

#[test]
fn a_bad_signature_is_refused() {
    let log = log_with_record(2, 2);
    // The same name, another key: GOSUMDB trusts key 7, the server signs with key 8.
    let impostor = {
        let mut l = TestLog::new("sum.test.example", 8);
        l.add_filler(2);
        l.add(MODULE, VERSION, H1);
        l.add_filler(2);
        l
    };
    let db = db_for(&log);
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    let e = Client::new(&db, &LogRemote::new(impostor), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::BadSignature { .. }), "{e}");
    assert_eq!(store.load(&db.name).unwrap(), None, "nothing stored");

    // A signature by the right key over other bytes.
    let mut body = log.lookup(MODULE, VERSION).unwrap();
    let at = body.windows(5).position(|w| w == b"tree\n").unwrap() + 5;
    body[at] = if body[at] == b'9' { b'8' } else { b'9' };
    struct Fixed(Vec<u8>, TestLog);
    impl Remote for Fixed {
        fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
            if path.starts_with("lookup/") {
                return Ok(self.0.clone());
            }
            self.1
                .serve(path)
                .ok_or(RemoteError::NotFound { url: path.into() })
        }
        fn base(&self) -> String {
            "test://db".into()
        }
    }
    let e = Client::new(&db, &Fixed(body, log.clone()), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(
        matches!(
            e,
            SumdbError::BadSignature { .. } | SumdbError::Malformed { .. }
        ),
        "{e}"
    );
}

#[test]
fn a_record_not_in_the_tree_is_refused() {
    let log = log_with_record(20, 20);
    let db = db_for(&log);
    // The server claims record 5 holds our line (it holds filler).
    let mut body = log.lookup(MODULE, VERSION).unwrap();
    let nl = body.iter().position(|&b| b == b'\n').unwrap();
    body.splice(..nl, b"5".iter().copied());
    struct Fixed(Vec<u8>, TestLog);
    impl Remote for Fixed {
        fn get(&self, path: &str) -> Result<Vec<u8>, RemoteError> {
            if path.starts_with("lookup/") {
                return Ok(self.0.clone());
            }
            self.1
                .serve(path)
                .ok_or(RemoteError::NotFound { url: path.into() })
        }
        fn base(&self) -> String {
            "test://db".into()
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    let e = Client::new(&db, &Fixed(body, log), &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::NotInTree { .. }), "{e}");
}

#[test]
fn unreachable_and_missing_are_told_apart() {
    let log = log_with_record(1, 1);
    let db = db_for(&log);
    let dir = tempfile::tempdir().unwrap();
    let store = TreeStore::new(dir.path());
    let mut remote = LogRemote::new(log);
    let e = Client::new(&db, &remote, &store)
        .lookup(MODULE, "v0.0.1-go1.99.0.linux-amd64")
        .unwrap_err();
    assert!(matches!(e, SumdbError::NotFound { .. }), "{e}");
    remote.down = true;
    let e = Client::new(&db, &remote, &store)
        .lookup(MODULE, VERSION)
        .unwrap_err();
    assert!(matches!(e, SumdbError::Unreachable { .. }), "{e}");
}

#[test]
fn escapes_module_paths_as_go_does() {
    assert_eq!(escape("github.com/Azure/x"), "github.com/!azure/x");
    assert_eq!(escape("golang.org/toolchain"), "golang.org/toolchain");
}

/// A real answer from the Go checksum database (fetched through the Go module proxy),
/// checked with Go's published key: the note format, key id and signature are Go's.
#[test]
fn real_sum_golang_org_tree_head_verifies() {
    let Setting::Use(db) = config::parse("").unwrap() else {
        panic!()
    };
    let body = include_bytes!("testdata/lookup-go1.22.10.txt");
    let (id, text, note) = parse_record(body).unwrap();
    assert_eq!(id, 32419892);
    assert!(std::str::from_utf8(text)
        .unwrap()
        .starts_with("golang.org/toolchain v0.0.1-go1.22.10.linux-amd64 h1:RsNdqCv6DX1zuIjq1S4c+sMWuLF4M7Ef4eHoBcz8dMU=\n"));
    let tree = match open_tree(&db, note) {
        Ok(t) => t,
        Err(_) => panic!("Go's signature does not verify"),
    };
    assert_eq!(tree.size, 51687235);
    // One flipped bit in the signed text and it no longer verifies.
    let mut bad = note.to_vec();
    bad[25] ^= 1;
    assert!(open_tree(&db, &bad).is_err());
}
