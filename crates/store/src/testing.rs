//! The one way tests get a store (behind the `testing` feature): a fresh,
//! empty store on the backend the tests run against, removed when dropped.
//!
//! Every store-backed test of every crate calls [`fresh_store`], so running
//! the whole suite on another backend means changing this module alone. The
//! backend is chosen by `DAILYPAPERS_TEST_STORE`: unset or `sqlite` for a
//! database file in a temporary directory; `postgres` for a new database on
//! the server named by `DAILYPAPERS_TEST_PG_URL` (the throw-away cluster of
//! `scripts/pg.sh`, which removes every test database when it stops).

use std::path::Path;
use std::sync::Arc;

use crate::{SqliteStore, Store, StoreUrl};

/// A store for one test, with what the test may need to reach it again.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    /// The URL another handle or process (`--database-url`) opens it with.
    pub url: StoreUrl,
    dir: tempfile::TempDir,
}

impl TestStore {
    /// A temporary directory that lives as long as the store, for the
    /// test's other files (indexes, inputs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The environment that points a `dailypapers` process at this store
    /// (`cmd.envs(test.env())`), whichever the backend.
    pub fn env(&self) -> [(&'static str, String); 1] {
        [("DAILYPAPERS_DATABASE_URL", self.url.unredacted())]
    }

    /// A second, independent handle on the same store: its own connections,
    /// as another process would have.
    pub async fn open_another(&self) -> Arc<dyn Store> {
        crate::open(&self.url).await.expect("reopen the test store")
    }

    /// Makes the database refuse to store the listing of `paper_id`, so a
    /// test can make a batch fail after part of it was written.
    pub async fn refuse_listing(&self, paper_id: &str) {
        match &self.url {
            StoreUrl::Sqlite(path) => {
                use sqlx::Connection;
                let mut raw = sqlx::SqliteConnection::connect_with(
                    &sqlx::sqlite::SqliteConnectOptions::new().filename(path),
                )
                .await
                .expect("connect to the test database");
                // Papers are written before listings: a refused listing fails
                // the batch after some of it was written.
                sqlx::query(&format!(
                    "CREATE TRIGGER refuse_{tag} BEFORE INSERT ON listings WHEN NEW.paper_id = '{paper_id}' \
                     BEGIN SELECT RAISE(ABORT, 'refused'); END",
                    tag = paper_id.replace(['.', '/', '-'], "_"),
                ))
                .execute(&mut raw)
                .await
                .expect("create the refusing trigger");
            }
            StoreUrl::Postgres(url) => {
                use sqlx::Connection;
                let mut raw = sqlx::PgConnection::connect(url)
                    .await
                    .expect("connect to the test database");
                let tag = paper_id.replace(['.', '/', '-'], "_");
                sqlx::raw_sql(&format!(
                    "CREATE FUNCTION refuse_{tag}() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN IF NEW.paper_id = '{paper_id}' THEN RAISE EXCEPTION 'refused'; END IF; \
                     RETURN NEW; END $$; \
                     CREATE TRIGGER refuse_{tag} BEFORE INSERT ON listings \
                     FOR EACH ROW EXECUTE FUNCTION refuse_{tag}();"
                ))
                .execute(&mut raw)
                .await
                .expect("create the refusing trigger");
            }
        }
    }
}

/// Paper `id` titled `title` with `imported` upvotes, on the feed since
/// `at` (on its UTC day), or not on the feed.
pub fn listed(
    id: &str,
    title: &str,
    imported: u32,
    at: Option<chrono::DateTime<chrono::Utc>>,
) -> dailypapers_domain::Listing {
    use dailypapers_domain::{FeedEntry, Listing, Paper};
    let pid: dailypapers_domain::ArxivId = id.parse().expect("a valid arXiv id");
    let mut p = Paper::new(pid.clone(), title, &format!("The abstract of {title}."));
    p.upvotes = Some(imported);
    let entry = at.map(|at| FeedEntry::submitted(pid, at, at.date_naive()));
    Listing::new(p, entry)
}

/// A fresh, empty store on the backend under test.
pub async fn fresh_store() -> TestStore {
    match std::env::var("DAILYPAPERS_TEST_STORE").as_deref() {
        Ok("sqlite") | Err(_) => fresh_sqlite_store().await,
        Ok("postgres") => fresh_postgres_store().await,
        Ok(other) => panic!("DAILYPAPERS_TEST_STORE={other:?}: expected sqlite or postgres"),
    }
}

/// A fresh SQLite store, whatever the backend under test (for tests that
/// move data between backends).
pub async fn fresh_sqlite_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = StoreUrl::in_data_dir(dir.path());
    let StoreUrl::Sqlite(path) = &url else {
        unreachable!()
    };
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open_file(path)
            .await
            .expect("open the test store"),
    );
    TestStore { store, url, dir }
}

/// A fresh database on the PostgreSQL test server
/// (`DAILYPAPERS_TEST_PG_URL`), whatever the backend under test.
pub async fn fresh_postgres_store() -> TestStore {
    let dir = tempfile::tempdir().expect("temporary directory");
    let url = new_postgres_database().await;
    let store: Arc<dyn Store> = Arc::new(
        crate::PostgresStore::open(&url)
            .await
            .expect("open the test store"),
    );
    TestStore {
        store,
        url: StoreUrl::Postgres(url),
        dir,
    }
}

/// Creates an empty database on the test server and answers its URL.
async fn new_postgres_database() -> String {
    use sqlx::Connection;
    let server = std::env::var("DAILYPAPERS_TEST_PG_URL").expect(
        "DAILYPAPERS_TEST_STORE=postgres needs DAILYPAPERS_TEST_PG_URL, the URL of a database \
         on the server to make test databases on (`scripts/pg.sh start DIR` prints one)",
    );
    let mut url = url::Url::parse(&server).expect("DAILYPAPERS_TEST_PG_URL is a URL");
    let name = format!(
        "test_{}_{}",
        std::process::id(),
        NEXT_DATABASE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("connect to the test server");
    // A process id can come round again in a long run: start clean. (Each
    // statement on its own: neither may run inside a transaction block.)
    for sql in [
        format!("DROP DATABASE IF EXISTS {name}"),
        format!("CREATE DATABASE {name}"),
    ] {
        sqlx::raw_sql(&sql)
            .execute(&mut admin)
            .await
            .expect("create a test database");
    }
    let _ = admin.close().await;
    url.set_path(&name);
    url.to_string()
}

static NEXT_DATABASE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// A member named `name` (`name@example.org`, no display name), made
/// directly in the store, for tests that need someone to own things.
pub async fn member(store: &dyn Store, name: &str) -> crate::community::Member {
    use dailypapers_domain::{Email, Role, Username};
    store
        .community()
        .create_member(&crate::community::NewMember {
            username: Username::parse(name).expect("a valid test username"),
            email: Email::parse(&format!("{name}@example.org")).expect("a valid test address"),
            display_name: None,
            password_hash: format!("$argon2id$test${name}"),
            role: Role::Member,
            now: chrono::Utc::now(),
        })
        .await
        .expect("the test member is made")
}

/// Makes each named check (an `async fn(&TestStore)` in the calling
/// module) a test of its own, on a fresh store of the backend under test.
#[macro_export]
macro_rules! store_checks {
    ($($check:ident),* $(,)?) => {
        mod check {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let t = $crate::testing::fresh_store().await;
                    super::$check(&t).await;
                }
            )*
        }
    };
}
