//! Trending: which papers of the last week are hot now, by one open
//! formula ([`score`]), and the line that says why a paper is there
//! ([`reason`]). No I/O: the store gathers each paper's [`Activity`], the
//! server calls these in batches and stores the results.

use chrono::{DateTime, TimeDelta, Utc};

/// A paper stops trending this long after it reached the feed.
pub const CUTOFF: TimeDelta = TimeDelta::days(7);

/// The window of "recent" activity: votes cast in it count extra, and
/// comments written in it count at all.
pub const RECENT: TimeDelta = TimeDelta::hours(24);

/// How steeply age pulls a paper down (Lemmy's and Hacker News' exponent).
pub const GRAVITY: f64 = 1.8;

/// Hours added to a paper's age before gravity applies: how long a paper is
/// judged "new".
pub const OFFSET_HOURS: f64 = 12.0;

/// What one member discussing a paper in the last day is worth, in upvotes.
pub const COMMENTER_POINTS: f64 = 2.0;

/// What the formula reads about one paper.
#[derive(Clone, Copy, Debug)]
pub struct Activity<'a> {
    /// When the paper reached the feed (its submission, else its listing).
    pub reached_feed: DateTime<Utc>,
    /// Upvotes imported from Hugging Face (they carry no times).
    pub imported_upvotes: u32,
    /// Every standing upvote of this instance's members.
    pub member_upvotes: u32,
    /// When members' standing upvotes were cast, for those of the last
    /// [`RECENT`] at least (older ones may be given too, and count once).
    pub recent_votes: &'a [DateTime<Utc>],
    /// The visible comments of the last [`RECENT`] at least: author and time.
    pub recent_comments: &'a [(u64, DateTime<Utc>)],
}

/// The trending score of a paper at `now`: 0 when it is not trending, else
/// higher is hotter. The one place the ranking is decided.
///
/// ```text
/// age     = now − reached_feed, in hours
/// votes   = imported_upvotes + member_upvotes
///         + Σ over member votes cast in the last 24 h of (1 − their age / 24 h)
/// points  = votes + 2 × (members who wrote a visible comment in the last 24 h)
/// score   = points / (age + 12)^1.8       when 0 ≤ age < 7 days, else 0
/// ```
///
/// Why this shape, starting from Lemmy's hot rank
/// `log10(max(2, score + 2)) / (age + 2)^1.8`:
///
/// - **Points, not their logarithm.** Lemmy's logarithm makes ten times the
///   votes worth about twice the rank, while its gravity makes a paper of
///   yesterday (30 h) worth a twelfth of one of this morning (6 h): with
///   papers arriving in daily batches, the day would decide nearly every
///   comparison. Linear points (Hacker News' choice) let yesterday's best
///   paper (300 upvotes, 30 h) still stand with this morning's good ones
///   (about 65 upvotes, 6 h).
/// - **Imported upvotes are the base.** Hugging Face's counts come without
///   times, so they count once, aged with the paper; members' votes come
///   with theirs, and a vote of the last day counts up to double (fading
///   linearly to single over 24 h), so attention a paper gets *now* moves it
///   more than attention it got on its first day.
/// - **Discussion counts by people.** Each member who wrote a visible
///   comment in the last day adds two upvotes' worth: ten comments by one
///   member move a paper as much as one. Hidden and deleted comments do
///   not count (the store leaves them out).
/// - **A 12-hour offset, not 2.** With 2, a paper submitted half an hour
///   ago with its submitter's own fresh vote (2 points) would outrank one
///   20 hours on the feed with 30 upvotes; with 12 it needs three fresh
///   votes to.
/// - **A cut-off.** After 7 days a paper is not trending, however voted
///   (by then gravity has divided it by about 60 against a paper of 6
///   hours); and
///   a paper whose feed time is in the future (a clock ahead) is not either.
///   Nor is one with no points at all.
pub fn score(a: &Activity<'_>, now: DateTime<Utc>) -> f64 {
    let age = now - a.reached_feed;
    if age < TimeDelta::zero() || age >= CUTOFF {
        return 0.0;
    }
    let recent = recent(a, now);
    let fresh_bonus: f64 = recent
        .votes
        .iter()
        .map(|&vote_age| 1.0 - hours(vote_age) / hours(RECENT))
        .sum();
    let standing = a.member_upvotes.max(recent.votes.len() as u32);
    let votes = f64::from(a.imported_upvotes) + f64::from(standing) + fresh_bonus;
    let points = votes + COMMENTER_POINTS * recent.commenters as f64;
    if points <= 0.0 {
        return 0.0;
    }
    points / (hours(age) + OFFSET_HOURS).powf(GRAVITY)
}

/// The line shown under a trending paper: "31 upvotes, 12 in the last 24 h
/// · 4 comments today".
pub fn reason(a: &Activity<'_>, now: DateTime<Utc>) -> String {
    let recent = recent(a, now);
    let standing = a.member_upvotes.max(recent.votes.len() as u32);
    let total = u64::from(a.imported_upvotes) + u64::from(standing);
    let mut line = match total {
        0 => "No upvotes yet".to_string(),
        1 => "1 upvote".to_string(),
        n => format!("{n} upvotes"),
    };
    if !recent.votes.is_empty() {
        line.push_str(&format!(", {} in the last 24 h", recent.votes.len()));
    }
    if recent.comments > 0 {
        let comments = if recent.comments == 1 {
            "1 comment today".to_string()
        } else {
            format!("{} comments today", recent.comments)
        };
        line.push_str(" · ");
        line.push_str(&comments);
        if recent.commenters < recent.comments {
            let people = if recent.commenters == 1 {
                "member"
            } else {
                "members"
            };
            line.push_str(&format!(", from {} {people}", recent.commenters));
        }
    }
    line
}

/// The activity of the last [`RECENT`].
struct Recent {
    /// The age of each member vote cast in the window (a vote dated in the
    /// future counts as cast now).
    votes: Vec<TimeDelta>,
    comments: usize,
    /// Distinct authors of those comments.
    commenters: usize,
}

fn recent(a: &Activity<'_>, now: DateTime<Utc>) -> Recent {
    let votes = a
        .recent_votes
        .iter()
        .map(|&t| (now - t).max(TimeDelta::zero()))
        .filter(|&age| age < RECENT)
        .collect();
    let in_window = |t: DateTime<Utc>| now - t < RECENT;
    let mut authors: Vec<u64> = a
        .recent_comments
        .iter()
        .filter(|(_, t)| in_window(*t))
        .map(|(m, _)| *m)
        .collect();
    let comments = authors.len();
    authors.sort_unstable();
    authors.dedup();
    Recent {
        votes,
        comments,
        commenters: authors.len(),
    }
}

fn hours(d: TimeDelta) -> f64 {
    d.num_milliseconds() as f64 / 3_600_000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-03-10T12:00:00Z".parse().unwrap()
    }

    fn ago(h: f64) -> DateTime<Utc> {
        now() - TimeDelta::milliseconds((h * 3_600_000.0) as i64)
    }

    /// A paper that reached the feed `age` hours ago with `imported` upvotes.
    fn paper(age: f64, imported: u32) -> Activity<'static> {
        Activity {
            reached_feed: ago(age),
            imported_upvotes: imported,
            member_upvotes: 0,
            recent_votes: &[],
            recent_comments: &[],
        }
    }

    #[test]
    fn the_formula_as_documented() {
        // 10 imported, 3 members (one vote 6 h old, one 30 h old, one
        // older and not given), 2 commenters today; 18 h on the feed.
        let votes = [ago(6.0), ago(30.0)];
        let comments = [(1, ago(1.0)), (2, ago(23.0)), (1, ago(2.0)), (3, ago(25.0))];
        let a = Activity {
            member_upvotes: 3,
            recent_votes: &votes,
            recent_comments: &comments,
            ..paper(18.0, 10)
        };
        let points = 10.0 + 3.0 + (1.0 - 6.0 / 24.0) + 2.0 * 2.0;
        let expected = points / (18.0f64 + 12.0).powf(1.8);
        assert!((score(&a, now()) - expected).abs() < 1e-12);
        assert_eq!(
            reason(&a, now()),
            "13 upvotes, 1 in the last 24 h · 3 comments today, from 2 members"
        );
    }

    #[test]
    fn more_votes_score_more() {
        let s = |imported, members| {
            let a = Activity {
                member_upvotes: members,
                ..paper(20.0, imported)
            };
            score(&a, now())
        };
        for imported in 0..50 {
            for members in 0..5 {
                assert!(s(imported + 1, members) > s(imported, members));
                assert!(s(imported, members + 1) > s(imported, members));
            }
        }
        // A member's fresh vote counts more than an imported one.
        let fresh = [ago(0.5)];
        let with_vote = Activity {
            member_upvotes: 1,
            recent_votes: &fresh,
            ..paper(20.0, 10)
        };
        assert!(score(&with_vote, now()) > s(11, 0));
    }

    #[test]
    fn recent_votes_count_more_than_old_ones() {
        let voted = |hours_ago: f64| {
            let votes = [ago(hours_ago)];
            let a = Activity {
                member_upvotes: 1,
                recent_votes: &votes,
                ..paper(60.0, 5)
            };
            score(&a, now())
        };
        let s: Vec<f64> = [0.0, 12.0, 23.9, 48.0].into_iter().map(voted).collect();
        assert!(s[0] > s[1] && s[1] > s[2] && s[2] > s[3], "{s:?}");
        // A vote older than a day counts once, as if its time were unknown.
        let untimed = Activity {
            member_upvotes: 1,
            ..paper(60.0, 5)
        };
        assert_eq!(s[3], score(&untimed, now()));
        // Fresh, a vote counts double.
        assert!((s[0] - score(&paper(60.0, 7), now())).abs() < 1e-12);
    }

    #[test]
    fn the_score_decays_with_age() {
        let votes = [ago(1.0), ago(3.0)];
        let mut last = f64::INFINITY;
        for step in 0..(7 * 24 * 4) {
            let later = now() + TimeDelta::minutes(15 * step);
            let a = Activity {
                member_upvotes: 2,
                recent_votes: &votes,
                ..paper(0.0, 40)
            };
            let s = score(&a, later);
            assert!(s < last && s > 0.0, "step {step}: {s} after {last}");
            last = s;
        }
        // Yesterday's best still stands with today's good papers.
        let yesterday_best = score(&paper(30.0, 300), now());
        assert!(yesterday_best > score(&paper(6.0, 40), now()));
        assert!(yesterday_best < score(&paper(6.0, 80), now()));
    }

    #[test]
    fn nothing_trends_after_the_cut_off_in_the_future_or_without_points() {
        let week = CUTOFF.num_milliseconds() as f64 / 3_600_000.0;
        assert!(score(&paper(week - 0.01, 500), now()) > 0.0);
        assert_eq!(score(&paper(week, 500), now()), 0.0);
        assert_eq!(score(&paper(week + 100.0, 500), now()), 0.0);
        assert_eq!(
            score(&paper(-0.01, 500), now()),
            0.0,
            "a feed time in the future"
        );
        assert_eq!(score(&paper(3.0, 0), now()), 0.0, "no votes, no comments");
    }

    #[test]
    fn a_fresh_comment_moves_a_paper_up() {
        let quiet = paper(10.0, 12);
        let today = [(7, ago(0.2))];
        let talked = Activity {
            recent_comments: &today,
            ..quiet
        };
        assert!(score(&talked, now()) > score(&quiet, now()));
        // Yesterday's comment does not.
        let old = [(7, ago(24.5))];
        let stale = Activity {
            recent_comments: &old,
            ..quiet
        };
        assert_eq!(score(&stale, now()), score(&quiet, now()));
        // Ten comments by one member count as one member's.
        let many: Vec<(u64, DateTime<Utc>)> =
            (0..10).map(|i| (7, ago(f64::from(i) / 10.0))).collect();
        let chatty = Activity {
            recent_comments: &many,
            ..quiet
        };
        assert_eq!(score(&chatty, now()), score(&talked, now()));
        // A comment alone makes a paper trend.
        let alone = Activity {
            recent_comments: &today,
            ..paper(2.0, 0)
        };
        assert!(score(&alone, now()) > 0.0);
    }

    #[test]
    fn a_paper_submitted_just_now_does_not_jump_ahead_on_its_own_vote() {
        let own = [ago(0.1)];
        let just_in = Activity {
            member_upvotes: 1,
            recent_votes: &own,
            ..paper(0.5, 0)
        };
        assert!(score(&just_in, now()) < score(&paper(8.0, 10), now()));
    }

    #[test]
    fn reasons_read_well() {
        assert_eq!(reason(&paper(2.0, 1), now()), "1 upvote");
        assert_eq!(reason(&paper(2.0, 0), now()), "No upvotes yet");
        let votes: Vec<DateTime<Utc>> = (0..12).map(|i| ago(f64::from(i))).collect();
        let comments: Vec<(u64, DateTime<Utc>)> = (0..4).map(|i| (i, ago(1.0))).collect();
        let a = Activity {
            member_upvotes: 15,
            recent_votes: &votes,
            recent_comments: &comments,
            ..paper(20.0, 16)
        };
        assert_eq!(
            reason(&a, now()),
            "31 upvotes, 12 in the last 24 h · 4 comments today"
        );
        let one = [(1, ago(3.0))];
        let b = Activity {
            recent_comments: &one,
            ..paper(20.0, 0)
        };
        assert_eq!(reason(&b, now()), "No upvotes yet · 1 comment today");
    }
}
