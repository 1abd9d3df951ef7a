//! The collections half of the store contract (`dailypapers_store::collections`),
//! on the backend `fresh_store` gives: positions that stay a permutation
//! under racing adds, moves and removals, a paper at most once per
//! collection, one title per owner, deletion with the items, lists by
//! owner and by paper that show private collections to their owner only,
//! and limits that racing requests cannot pass.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dailypapers_domain::{ArxivId, CollectionTitle, Listing, Paper};
use dailypapers_store::collections::{
    AddRefusal, ChangeRefusal, Collection, CollectionChange, CollectionItem, CollectionQuery,
    CollectionSort, CreateRefusal, ItemChange, NewCollection, NewItem,
};
use dailypapers_store::community::Member;
use dailypapers_store::testing::{TestStore, fresh_store, member};
use dailypapers_store::{Store, rows};

fn now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

async fn papers(store: &dyn Store, n: usize) -> Vec<ArxivId> {
    let mut batch = Vec::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let pid: ArxivId = format!("2603.{:05}", i + 1).parse().unwrap();
        batch.push(Listing::paper_only(Paper::new(
            pid.clone(),
            &format!("Paper {i}"),
            "An abstract.",
        )));
        ids.push(pid);
    }
    store.import(batch).await.unwrap();
    ids
}

fn new_collection(owner: &Member, title: &str, private: bool) -> NewCollection {
    NewCollection {
        owner_id: owner.id,
        title: CollectionTitle::parse(title).unwrap(),
        description: Some(format!("About {title}")),
        private,
        theme: "blue".into(),
        now: now(),
        max_per_member: 100,
    }
}

async fn create(store: &dyn Store, owner: &Member, title: &str, private: bool) -> Collection {
    store
        .create_collection(&new_collection(owner, title, private))
        .await
        .unwrap()
        .unwrap()
}

fn new_item(c: &Collection, paper: &ArxivId, note: Option<&str>) -> NewItem {
    NewItem {
        collection_id: c.id.clone(),
        paper: paper.clone(),
        note: note.map(str::to_string),
        now: now(),
        max_items: 1_000,
    }
}

async fn add(store: &dyn Store, c: &Collection, paper: &ArxivId) -> CollectionItem {
    store
        .add_collection_item(&new_item(c, paper, None))
        .await
        .unwrap()
        .unwrap()
}

/// The papers of a collection in order, checking that positions are 0..n-1.
async fn order(store: &dyn Store, c: &Collection) -> Vec<String> {
    let items = store.collection_items(&c.id).await.unwrap();
    let positions: Vec<u32> = items.iter().map(|i| i.position).collect();
    let expected: Vec<u32> = (0..items.len() as u32).collect();
    assert_eq!(positions, expected, "positions are a permutation 0..n-1");
    items.iter().map(|i| i.paper.to_string()).collect()
}

/// Runs `n` writes at once, each on its own task, and answers what each
/// returned.
async fn race<T, F, Fut>(n: usize, make: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<T, dailypapers_store::StoreError>> + Send + 'static,
{
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..n {
        tasks.spawn(make(i));
    }
    tasks
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn query() -> CollectionQuery {
    CollectionQuery {
        limit: 100,
        items_each: 4,
        ..CollectionQuery::default()
    }
}

fn titles(list: &[(Collection, Vec<CollectionItem>)]) -> Vec<&str> {
    list.iter().map(|(c, _)| c.title.as_str()).collect()
}

/// A member's collections: one title each (without case), listed by
/// owner in their order, private ones to their owner only.
async fn collections_are_made_listed_and_kept_private(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let bob = member(store, "bob").await;
    let ids = papers(store, 6).await;
    let reading = create(store, &ada, "Reading list", false).await;
    assert_eq!(reading.id.len(), 24);
    assert!(reading.id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(reading.slug(), format!("ada/reading-list-{}", reading.id));
    assert_eq!(
        (reading.position, reading.item_count, reading.private),
        (0, 0, false)
    );
    assert_eq!(reading.description.as_deref(), Some("About Reading list"));
    let secret = create(store, &ada, "Secret", true).await;
    assert_eq!(secret.position, 1);
    let bobs = create(store, &bob, "Reading list", false).await;
    assert_eq!(bobs.position, 0, "positions are per owner");

    let again = store
        .create_collection(&new_collection(&ada, "READING LIST", true))
        .await
        .unwrap();
    match again {
        Err(CreateRefusal::TitleTaken(existing)) => assert_eq!(existing.id, reading.id),
        other => panic!("{other:?}"),
    }
    let mut limited = new_collection(&bob, "Second", false);
    limited.max_per_member = 1;
    assert_eq!(
        store.create_collection(&limited).await.unwrap(),
        Err(CreateRefusal::TooMany)
    );

    for p in &ids[..5] {
        add(store, &reading, p).await;
    }
    add(store, &secret, &ids[0]).await;
    add(store, &bobs, &ids[5]).await;

    // By owner, in their order, with the first four papers each.
    let mut q = query();
    q.owner = Some("ADA".into());
    q.sort = CollectionSort::Position;
    let anon = store.list_collections(&q).await.unwrap();
    assert_eq!(
        titles(&anon),
        ["Reading list"],
        "nobody sees ada's private one"
    );
    assert_eq!(anon[0].0.item_count, 5);
    let first: Vec<String> = anon[0].1.iter().map(|i| i.paper.to_string()).collect();
    assert_eq!(
        first,
        ids[..4].iter().map(|p| p.to_string()).collect::<Vec<_>>()
    );
    q.viewer = Some(bob.id);
    assert_eq!(
        titles(&store.list_collections(&q).await.unwrap()),
        ["Reading list"]
    );
    q.viewer = Some(ada.id);
    assert_eq!(
        titles(&store.list_collections(&q).await.unwrap()),
        ["Reading list", "Secret"]
    );

    // By paper: the collections holding it, private ones to their owner.
    let mut q = query();
    q.paper = Some(ids[0].clone());
    assert_eq!(
        titles(&store.list_collections(&q).await.unwrap()),
        ["Reading list"]
    );
    q.viewer = Some(ada.id);
    let mut seen = titles(&store.list_collections(&q).await.unwrap())
        .into_iter()
        .map(str::to_string)
        .collect::<Vec<_>>();
    seen.sort();
    assert_eq!(seen, ["Reading list", "Secret"]);
    q.paper = Some(ids[5].clone());
    let holding = store.list_collections(&q).await.unwrap();
    assert_eq!(holding.len(), 1);
    assert_eq!(holding[0].0.id, bobs.id);

    // All public ones, the most recently changed first, in pages.
    let mut q = query();
    q.limit = 1;
    let page1 = store.list_collections(&q).await.unwrap();
    q.offset = 1;
    let page2 = store.list_collections(&q).await.unwrap();
    q.offset = 2;
    assert!(store.list_collections(&q).await.unwrap().is_empty());
    let both: HashSet<&str> = [page1[0].0.id.as_str(), page2[0].0.id.as_str()].into();
    assert_eq!(both, [reading.id.as_str(), bobs.id.as_str()].into());
    assert!(page1[0].0.updated_at >= page2[0].0.updated_at);

    // Changes: privacy, description, theme, title (not to a taken one).
    let later = now() + chrono::TimeDelta::minutes(5);
    let changed = store
        .change_collection(
            &reading.id,
            &CollectionChange {
                title: Some(CollectionTitle::parse("Papers to read").unwrap()),
                description: Some(None),
                private: Some(true),
                theme: Some("pink".into()),
                position: None,
            },
            later,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.title, "Papers to read");
    assert_eq!(changed.description, None);
    assert!(changed.private);
    assert_eq!(changed.theme, "pink");
    assert_eq!(changed.updated_at, later);
    assert_eq!(changed.slug(), format!("ada/papers-to-read-{}", reading.id));
    let clash = store
        .change_collection(
            &reading.id,
            &CollectionChange {
                title: Some(CollectionTitle::parse("secret").unwrap()),
                ..Default::default()
            },
            later,
        )
        .await
        .unwrap();
    match clash {
        Err(ChangeRefusal::TitleTaken(other)) => assert_eq!(other.id, secret.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .change_collection(
                "0123456789abcdef01234567",
                &CollectionChange::default(),
                later
            )
            .await
            .unwrap(),
        Err(ChangeRefusal::NoSuchCollection)
    );
    // Renaming to its own title in another case is no clash.
    let recased = store
        .change_collection(
            &reading.id,
            &CollectionChange {
                title: Some(CollectionTitle::parse("PAPERS to read").unwrap()),
                ..Default::default()
            },
            later,
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(recased.title, "PAPERS to read");
    assert!(recased.private, "what is not changed stays");
}

/// Moving items and collections, and positions past the end.
async fn items_and_collections_move(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let ids = papers(store, 5).await;
    let c = create(store, &ada, "List", false).await;
    let mut items = Vec::new();
    for p in &ids {
        items.push(add(store, &c, p).await);
    }
    let name = |i: usize| ids[i].to_string();
    assert_eq!(order(store, &c).await, (0..5).map(name).collect::<Vec<_>>());
    let mv = |to: u32| ItemChange {
        note: None,
        position: Some(to),
    };
    let moved = store
        .change_collection_item(&c.id, &items[0].id, &mv(3), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.position, 3);
    assert_eq!(order(store, &c).await, [1, 2, 3, 0, 4].map(name));
    store
        .change_collection_item(&c.id, &items[4].id, &mv(0), now())
        .await
        .unwrap();
    assert_eq!(order(store, &c).await, [4, 1, 2, 3, 0].map(name));
    let end = store
        .change_collection_item(&c.id, &items[1].id, &mv(99), now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(end.position, 4, "past the end is the end");
    assert_eq!(order(store, &c).await, [4, 2, 3, 0, 1].map(name));
    // A note, set and cleared; the place stays.
    let noted = store
        .change_collection_item(
            &c.id,
            &items[2].id,
            &ItemChange {
                note: Some(Some("Read §3 first".into())),
                position: None,
            },
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (noted.note.as_deref(), noted.position),
        (Some("Read §3 first"), 1)
    );
    let cleared = store
        .change_collection_item(
            &c.id,
            &items[2].id,
            &ItemChange {
                note: Some(None),
                position: None,
            },
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(cleared.note, None);
    // Removing closes the gap; an item is found only in its collection.
    assert!(
        store
            .remove_collection_item(&c.id, &items[3].id, now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_collection_item(&c.id, &items[3].id, now())
            .await
            .unwrap()
    );
    assert_eq!(order(store, &c).await, [4, 2, 0, 1].map(name));
    let other = create(store, &ada, "Other", false).await;
    assert!(
        !store
            .remove_collection_item(&other.id, &items[2].id, now())
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .change_collection_item(&other.id, &items[2].id, &mv(0), now())
            .await
            .unwrap(),
        None
    );

    // The member's collections move the same way.
    let third = create(store, &ada, "Third", false).await;
    let moved = store
        .change_collection(
            &third.id,
            &CollectionChange {
                position: Some(0),
                ..Default::default()
            },
            now(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(moved.position, 0);
    let mut q = query();
    q.owner = Some("ada".into());
    q.sort = CollectionSort::Position;
    let listed = store.list_collections(&q).await.unwrap();
    assert_eq!(titles(&listed), ["Third", "List", "Other"]);
    let positions: Vec<u32> = listed.iter().map(|(c, _)| c.position).collect();
    assert_eq!(positions, [0, 1, 2]);
}

/// Deleting a collection deletes its items and closes the gap in its
/// owner's list; a paper is at most once in a collection.
async fn deleting_a_collection_deletes_its_items(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let ids = papers(store, 3).await;
    let a = create(store, &ada, "A", false).await;
    let b = create(store, &ada, "B", false).await;
    let c = create(store, &ada, "C", false).await;
    let first = add(store, &b, &ids[0]).await;
    add(store, &b, &ids[1]).await;
    add(store, &c, &ids[0]).await;
    match store
        .add_collection_item(&new_item(&b, &ids[0], Some("again")))
        .await
        .unwrap()
    {
        Err(AddRefusal::AlreadyThere(item)) => assert_eq!(item.id, first.id),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        store
            .add_collection_item(&new_item(&b, &"2603.99999".parse().unwrap(), None))
            .await
            .unwrap(),
        Err(AddRefusal::NoSuchPaper)
    );
    let mut gone = new_item(&b, &ids[2], None);
    gone.collection_id = "0123456789abcdef01234567".into();
    assert_eq!(
        store.add_collection_item(&gone).await.unwrap(),
        Err(AddRefusal::NoSuchCollection)
    );
    assert!(store.delete_collection(&b.id).await.unwrap());
    assert!(!store.delete_collection(&b.id).await.unwrap());
    assert_eq!(store.collection(&b.id).await.unwrap(), None);
    assert!(store.collection_items(&b.id).await.unwrap().is_empty());
    let table = rows::table("collection_items").unwrap();
    let left = store.read_rows(table, None, 100).await.unwrap();
    assert_eq!(left.len(), 1, "only C's item is left: {left:?}");
    assert_eq!(store.collection(&c.id).await.unwrap().unwrap().position, 1);
    assert_eq!(store.collection(&a.id).await.unwrap().unwrap().position, 0);
    // The database itself refuses a second row of one paper in one
    // collection, whatever the store's code checks first.
    let table = rows::table("collection_items").unwrap();
    let mut dup = left[0].clone();
    dup[0] = rows::Value::Text("ffffffffffffffffffffffff".into());
    dup[3] = rows::Value::Int(7);
    assert!(
        store.write_rows(table, &[dup]).await.is_err(),
        "a paper twice in one collection"
    );
}

/// Adds, moves and removals racing on one collection leave its positions
/// a permutation and each paper at most once; racing adds of one paper
/// add it once; the limits hold.
async fn positions_stay_a_permutation_under_racing_changes(t: &TestStore) {
    let store = t.store.clone();
    let ada = member(&*store, "ada").await;
    let ids = papers(&*store, 40).await;
    let c = create(&*store, &ada, "Busy", false).await;
    for p in &ids[..10] {
        add(&*store, &c, p).await;
    }
    let ids = Arc::new(ids);
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..8u64 {
        let (store, c, ids) = (store.clone(), c.clone(), ids.clone());
        tasks.spawn(async move {
            // A small generator of its own: the same races every run.
            let mut x = worker * 7_919 + 13;
            let mut next = |m: u64| {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                (x >> 33) % m
            };
            for _ in 0..25 {
                let items = store.collection_items(&c.id).await.unwrap();
                match next(3) {
                    0 => {
                        let p = &ids[next(ids.len() as u64) as usize];
                        let added = store.add_collection_item(&new_item(&c, p, None)).await;
                        match added.unwrap() {
                            Ok(_) | Err(AddRefusal::AlreadyThere(_)) => {}
                            Err(other) => panic!("{other:?}"),
                        }
                    }
                    1 if !items.is_empty() => {
                        let it = &items[next(items.len() as u64) as usize];
                        let to = next(items.len() as u64 + 2) as u32;
                        let change = ItemChange {
                            note: None,
                            position: Some(to),
                        };
                        // The item may be gone by now: that is a `None`.
                        store
                            .change_collection_item(&c.id, &it.id, &change, now())
                            .await
                            .unwrap();
                    }
                    _ if !items.is_empty() => {
                        let it = &items[next(items.len() as u64) as usize];
                        store
                            .remove_collection_item(&c.id, &it.id, now())
                            .await
                            .unwrap();
                    }
                    _ => {}
                }
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
    let papers_now = order(&*store, &c).await;
    let distinct: HashSet<&String> = papers_now.iter().collect();
    assert_eq!(distinct.len(), papers_now.len(), "each paper at most once");
    assert_eq!(
        store.collection(&c.id).await.unwrap().unwrap().item_count as usize,
        papers_now.len()
    );

    // Twenty racing adds of one paper: one is added, nineteen find it there.
    let one = create(&*store, &ada, "One", false).await;
    let outcomes = race(20, |_| {
        let (store, one, p) = (store.clone(), one.clone(), ids[0].clone());
        async move { store.add_collection_item(&new_item(&one, &p, None)).await }
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(order(&*store, &one).await.len(), 1);

    // Twenty racing adds of different papers into a collection that takes
    // five: five are added.
    let small = create(&*store, &ada, "Small", false).await;
    let outcomes = race(20, |i| {
        let (store, small, p) = (store.clone(), small.clone(), ids[i].clone());
        async move {
            let mut item = new_item(&small, &p, None);
            item.max_items = 5;
            store.add_collection_item(&item).await
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 5);
    assert!(
        outcomes
            .iter()
            .all(|o| o.is_ok() || *o == Err(AddRefusal::Full))
    );
    assert_eq!(order(&*store, &small).await.len(), 5);

    // Racing creations by one member: within the limit, positions 0..n-1.
    let bob = member(&*store, "bob").await;
    let outcomes = race(12, |i| {
        let (store, bob) = (store.clone(), bob.clone());
        async move {
            let mut new = new_collection(&bob, &format!("List {i}"), i % 2 == 0);
            new.max_per_member = 8;
            store.create_collection(&new).await
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|o| o.is_ok()).count(), 8);
    let mut q = query();
    q.owner = Some("bob".into());
    q.viewer = Some(bob.id);
    q.sort = CollectionSort::Position;
    let listed = store.list_collections(&q).await.unwrap();
    let positions: Vec<u32> = listed.iter().map(|(c, _)| c.position).collect();
    assert_eq!(positions, (0..8).collect::<Vec<_>>());
}

macro_rules! collections {
    ($($check:ident),* $(,)?) => {
        mod check {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let t = super::fresh_store().await;
                    super::$check(&t).await;
                }
            )*
        }
    };
}

collections!(
    collections_are_made_listed_and_kept_private,
    items_and_collections_move,
    deleting_a_collection_deletes_its_items,
    positions_stay_a_permutation_under_racing_changes,
);
