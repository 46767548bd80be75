//! Revision-graph and plan tests from literal edge lists: heads, branches, merges, labels,
//! dependencies, prefixes, relative targets, ranges, and every error.

use crate::*;

/// `"id<p1,p2 dep=d1,d2 label=l1,l2"`; revisions are created one minute apart in list order.
fn graph(specs: &[&str]) -> Result<Graph, ScriptError> {
    Graph::from_revisions(
        specs
            .iter()
            .enumerate()
            .map(|(i, s)| rev(s, i, &format!("v/{i}.sql")))
            .collect(),
    )
}

fn rev(spec: &str, i: usize, file: &str) -> Revision {
    let mut parts = spec.split(' ');
    let head = parts.next().unwrap();
    let (id, parents) = head.split_once('<').unwrap_or((head, ""));
    let list = |s: &str| {
        s.split(',')
            .filter(|x| !x.is_empty())
            .map(String::from)
            .collect::<Vec<_>>()
    };
    let mut m = RevisionMeta {
        revision: RevId::parse(id).unwrap(),
        revises: list(parents)
            .iter()
            .map(|p| RevId::parse(p).unwrap())
            .collect(),
        message: format!("rev {id}"),
        created: format!("2026-01-01T00:{i:02}:00Z"),
        branch_labels: vec![],
        depends_on: vec![],
    };
    for p in parts {
        if let Some(d) = p.strip_prefix("dep=") {
            m.depends_on = list(d);
        } else if let Some(l) = p.strip_prefix("label=") {
            m.branch_labels = list(l);
        }
    }
    parse_revision(
        file,
        &render_revision(DEFAULT_TEMPLATE, &m, &[format!("SELECT '{id}';")], &[]),
    )
    .unwrap()
}

fn ids(v: &[RevId]) -> String {
    v.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
fn heads(s: &str) -> Vec<RevId> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(|x| RevId::parse(x).unwrap())
        .collect()
}
/// Steps as `+a[..>a]` / `-a[a>..]`: direction, revision, heads before > after.
fn show(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|s| {
            format!(
                "{}{}[{}>{}]",
                if s.direction == Direction::Up {
                    '+'
                } else {
                    '-'
                },
                s.revision,
                ids(&s.heads_before),
                ids(&s.heads_after)
            )
        })
        .collect::<Vec<_>>()
        .join(" ")
}

const LINEAR: &[&str] = &["a1", "b2<a1", "c3<b2"];
const BRANCHED: &[&str] = &["a", "b<a label=shop", "c<a", "d<b"];
const MERGED: &[&str] = &["a", "b<a", "c<a", "m<b,c", "n<m"];
const DEPS: &[&str] = &["a", "b<a", "x label=other", "y<x", "c<b dep=other"];
const PREFIXES: &[&str] = &["aa1", "aa2<aa1", "ab3<aa2"];

#[test]
fn shapes() {
    let cases: &[(&[&str], &str, &str, &str, &str)] = &[
        // graph, heads, bases, branch points, merges
        (LINEAR, "c3", "a1", "", ""),
        (BRANCHED, "c,d", "a", "a", ""),
        (MERGED, "n", "a", "a", "m"),
        (DEPS, "c,y", "a,x", "", ""),
        (&[], "", "", "", ""),
    ];
    for (specs, h, b, bp, m) in cases {
        let g = graph(specs).unwrap();
        assert_eq!(
            (
                ids(&g.heads()),
                ids(&g.bases()),
                ids(&g.branch_points()),
                ids(&g.merges())
            ),
            (h.to_string(), b.to_string(), bp.to_string(), m.to_string()),
            "{specs:?}"
        );
        assert_eq!(g.len(), specs.len());
    }
    let g = graph(DEPS).unwrap();
    assert_eq!(ids(g.dependencies(&heads("c")[0])), "x");
    assert_eq!(g.labelled("other").map(|r| r.as_str()), Some("x"));
    assert_eq!(ids(&g.topological()), "a,b,x,y,c");
    assert_eq!(ids(&graph(BRANCHED).unwrap().topological()), "a,b,d,c");
}

#[test]
fn upgrades() {
    // graph, current heads, target, steps
    let cases: &[(&[&str], &str, &str, &str)] = &[
        (LINEAR, "", "head", "+a1[>a1] +b2[a1>b2] +c3[b2>c3]"),
        (LINEAR, "", "heads", "+a1[>a1] +b2[a1>b2] +c3[b2>c3]"),
        (LINEAR, "", "+1", "+a1[>a1]"),
        (LINEAR, "", "+2", "+a1[>a1] +b2[a1>b2]"),
        (LINEAR, "a1", "+2", "+b2[a1>b2] +c3[b2>c3]"),
        (LINEAR, "a1", "b2", "+b2[a1>b2]"),
        (LINEAR, "a1", "b", "+b2[a1>b2]"),
        (LINEAR, "", "a1+1", "+a1[>a1] +b2[a1>b2]"),
        (LINEAR, "", "c3-1", "+a1[>a1] +b2[a1>b2]"),
        (LINEAR, "c3", "head", ""),
        (LINEAR, "c3", "a1", ""),
        (LINEAR, "b2", "base", ""),
        (BRANCHED, "", "heads", "+a[>a] +b[a>b] +d[b>d] +c[d>c,d]"),
        (BRANCHED, "", "shop@head", "+a[>a] +b[a>b] +d[b>d]"),
        (BRANCHED, "", "shop", "+a[>a] +b[a>b]"),
        (BRANCHED, "", "shop@base", "+a[>a] +b[a>b]"),
        (BRANCHED, "d", "c", "+c[d>c,d]"),
        (BRANCHED, "c", "d@head", "+b[c>b,c] +d[b,c>c,d]"),
        (
            MERGED,
            "",
            "head",
            "+a[>a] +b[a>b] +c[b>b,c] +m[b,c>m] +n[m>n]",
        ),
        (MERGED, "b", "m", "+c[b>b,c] +m[b,c>m]"),
        (MERGED, "m", "+1", "+n[m>n]"),
        (DEPS, "", "c", "+a[>a] +b[a>b] +x[b>b,x] +c[b,x>c,x]"),
        (DEPS, "y", "c", "+a[y>a,y] +b[a,y>b,y] +c[b,y>c,y]"),
        (
            DEPS,
            "",
            "heads",
            "+a[>a] +b[a>b] +x[b>b,x] +y[b,x>b,y] +c[b,y>c,y]",
        ),
    ];
    for (specs, current, target, want) in cases {
        let g = graph(specs).unwrap();
        let got = g.plan_upgrade(&heads(current), &Target::parse(target).unwrap());
        assert_eq!(
            got.as_ref().map(|s| show(s)).map_err(|e| e.to_string()),
            Ok(want.to_string()),
            "{specs:?} from [{current}] to {target}"
        );
    }
}

#[test]
fn downgrades() {
    let cases: &[(&[&str], &str, &str, &str)] = &[
        (LINEAR, "c3", "-1", "-c3[c3>b2]"),
        (LINEAR, "c3", "-3", "-c3[c3>b2] -b2[b2>a1] -a1[a1>]"),
        (LINEAR, "c3", "base", "-c3[c3>b2] -b2[b2>a1] -a1[a1>]"),
        (LINEAR, "c3", "a1", "-c3[c3>b2] -b2[b2>a1]"),
        (LINEAR, "c3", "c3-2", "-c3[c3>b2] -b2[b2>a1]"),
        (LINEAR, "c3", "a1+1", "-c3[c3>b2]"),
        (LINEAR, "c3", "head", ""),
        (LINEAR, "", "base", ""),
        (BRANCHED, "c,d", "shop@base", "-d[c,d>b,c] -b[b,c>c]"),
        (BRANCHED, "c,d", "a", "-c[c,d>d] -d[d>b] -b[b>a]"),
        (BRANCHED, "c,d", "b", "-d[c,d>b,c]"),
        (BRANCHED, "c,d", "base", "-c[c,d>d] -d[d>b] -b[b>a] -a[a>]"),
        (MERGED, "n", "-1", "-n[n>m]"),
        (MERGED, "m", "-1", "-m[m>b,c]"),
        (MERGED, "n", "-2", "-n[n>m] -m[m>b,c]"),
        (MERGED, "n", "b", "-n[n>m] -m[m>b,c]"),
        (MERGED, "n", "n-2", "-n[n>m] -m[m>b,c]"),
        (DEPS, "c,y", "x", "-c[c,y>b,y] -y[b,y>b,x]"),
        (
            DEPS,
            "c,y",
            "other@base",
            "-c[c,y>b,y] -y[b,y>b,x] -x[b,x>b]",
        ),
        (DEPS, "c,y", "b", "-c[c,y>b,y]"),
    ];
    for (specs, current, target, want) in cases {
        let g = graph(specs).unwrap();
        let got = g.plan_downgrade(&heads(current), &Target::parse(target).unwrap());
        assert_eq!(
            got.as_ref().map(|s| show(s)).map_err(|e| e.to_string()),
            Ok(want.to_string()),
            "{specs:?} from [{current}] to {target}"
        );
    }
}

#[test]
fn prefixes_and_ranges() {
    let g = graph(PREFIXES).unwrap();
    assert_eq!(g.resolve_rev("ab").unwrap().as_str(), "ab3");
    assert_eq!(g.resolve_rev("aa1").unwrap().as_str(), "aa1");
    match g.resolve_rev("aa") {
        Err(e @ ScriptError::AmbiguousPrefix { .. }) => {
            let m = e.to_string();
            assert!(
                m.contains("aa1 (v/0.sql), aa2 (v/1.sql)") && !m.contains("ab3"),
                "{m}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        g.resolve_rev("zz"),
        Err(ScriptError::UnknownRevision { .. })
    ));
    let g = graph(LINEAR).unwrap();
    let r = |s: &str| Target::parse_range(s).unwrap();
    let range = |s: &str, cur: &str| {
        let (lo, hi) = r(s);
        g.range(&heads(cur), lo.as_ref(), hi.as_ref())
            .map(|v| ids(&v))
    };
    assert_eq!(range(":", "").unwrap(), "c3,b2,a1");
    assert_eq!(range("b2:", "").unwrap(), "c3,b2");
    assert_eq!(range(":b2", "").unwrap(), "b2,a1");
    assert_eq!(range("base:head", "").unwrap(), "c3,b2,a1");
    assert_eq!(range("-1:", "c3").unwrap(), "c3,b2");
    assert_eq!(range("a1:a1", "").unwrap(), "a1");
    assert!(range("zz:", "").is_err());
}

#[test]
fn graph_errors_name_the_files() {
    let dup = Graph::from_revisions(vec![rev("a", 0, "v/one.sql"), rev("a", 1, "v/two.sql")]);
    assert!(
        matches!(&dup, Err(ScriptError::DuplicateRevision { id, first, second }) if id == "a" && first == "v/one.sql" && second == "v/two.sql"),
        "{:?}",
        dup.err()
    );
    let cases: &[(&[&str], &str)] = &[
        (
            &["a", "b<zz"],
            "v/1.sql:2: revision b revises zz, but no file in the versions folder defines zz",
        ),
        (
            &["a", "b<a dep=nope"],
            "v/1.sql:5: revision b depends on `nope`",
        ),
        (&["a<c", "b<a", "c<b"], "cycle"),
        (&["a dep=a"], "cycle"),
        (&["a dep=b", "b<a"], "cycle"),
        (
            &["a label=x", "b<a label=x"],
            "branch label `x` is used by v/0.sql and by v/1.sql",
        ),
        (
            &["a label=b", "b<a"],
            "v/0.sql:5: branch label `b` is also the id of revision b (v/1.sql)",
        ),
    ];
    for (specs, needle) in cases {
        let e = graph(specs)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains(needle), "{specs:?}: {e}");
    }
    let e = graph(&["a<c", "b<a", "c<b"]).err().unwrap();
    match e {
        ScriptError::Cycle { path, files } => {
            assert_eq!(files.len(), 3);
            assert!(
                path.contains("a (v/0.sql)")
                    && path.contains("b (v/1.sql)")
                    && path.contains("c (v/2.sql)"),
                "{path}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn target_errors() {
    // graph, current heads, target, upgrade?, error text
    let cases: &[(&[&str], &str, &str, bool, &str)] = &[
        (
            BRANCHED,
            "",
            "head",
            true,
            "several heads (c (v/2.sql), d (v/3.sql))",
        ),
        (BRANCHED, "c,d", "-1", false, "several heads"),
        (BRANCHED, "c,d", "+1", true, "several heads"),
        (
            BRANCHED,
            "a",
            "+1",
            true,
            "a (v/0.sql) is a branch point with children b (v/1.sql), c (v/2.sql)",
        ),
        (
            &["a", "b<a", "c<a", "m<b,c", "n<m"],
            "n",
            "-3",
            false,
            "m (v/3.sql) is a merge of b (v/1.sql), c (v/2.sql)",
        ),
        (&["a", "x"], "", "+1", true, "several first revisions"),
        (&[], "", "+1", true, "there are no revisions"),
        (LINEAR, "", "-1", false, "nothing is applied"),
        (LINEAR, "c3", "-4", false, "only 3 revisions before"),
        (LINEAR, "a1", "+3", true, "only 2 revisions after"),
        (LINEAR, "a1", "-1", true, "use `dqmig downgrade`"),
        (LINEAR, "c3", "+1", false, "use `dqmig upgrade`"),
        (
            LINEAR,
            "a1",
            "c3",
            false,
            "c3 (v/2.sql) is not applied (the database is at a1 (v/0.sql))",
        ),
        (
            LINEAR,
            "zz",
            "head",
            true,
            "the version table names this revision, but no file",
        ),
        (
            LINEAR,
            "a1,b2",
            "head",
            true,
            "lists a1 (v/0.sql) and also revisions after it",
        ),
        (
            LINEAR,
            "",
            "q",
            true,
            "no revision id, id prefix or branch label matches",
        ),
        (BRANCHED, "", "a@head", true, "several heads"),
        (PREFIXES, "", "aa", true, "is ambiguous"),
        // `head`, `heads` and `base` are no revision to count from (the message said no
        // revision matched `head`; fresh-user pass).
        (
            LINEAR,
            "",
            "head+999",
            true,
            "`head` names no single revision to count from",
        ),
        (
            LINEAR,
            "a1",
            "base-1",
            false,
            "`base` names no single revision",
        ),
        (
            LINEAR,
            "",
            "base@head",
            true,
            "`base` names no single revision",
        ),
    ];
    for (specs, current, target, up, needle) in cases {
        let g = graph(specs).unwrap();
        let t = Target::parse(target).unwrap();
        let got = if *up {
            g.plan_upgrade(&heads(current), &t)
        } else {
            g.plan_downgrade(&heads(current), &t)
        };
        let e = got.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(
            e.contains(needle),
            "{specs:?} from [{current}] {target}: {e}"
        );
    }
}

mod props {
    use super::*;
    use proptest::prelude::*;

    /// A random DAG: revision i revises up to two of the earlier ones, and may depend on one.
    fn dag() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec((any::<u8>(), any::<u8>(), any::<u8>(), 0u8..4), 1..12).prop_map(
            |picks| {
                picks
                    .iter()
                    .enumerate()
                    .map(|(i, (p1, p2, d, shape))| {
                        let mut s = format!("r{i}");
                        if i > 0 && *shape > 0 {
                            let a = *p1 as usize % i;
                            let b = *p2 as usize % i;
                            s.push_str(&format!("<r{a}"));
                            if *shape == 2 && a != b {
                                s.push_str(&format!(",r{b}"));
                            }
                            if *shape == 3 {
                                let d = *d as usize % i;
                                if d != a {
                                    s.push_str(&format!(" dep=r{d}"));
                                }
                            }
                        }
                        s
                    })
                    .collect()
            },
        )
    }

    fn chained(steps: &[Step], start: &[RevId]) -> Result<Vec<RevId>, TestCaseError> {
        let mut at = start.to_vec();
        for s in steps {
            prop_assert_eq!(&s.heads_before, &at);
            at = s.heads_after.clone();
        }
        Ok(at)
    }

    proptest! {
        #[test]
        fn upgrade_all_then_downgrade_all(specs in dag()) {
            let specs: Vec<&str> = specs.iter().map(String::as_str).collect();
            let g = graph(&specs).unwrap();
            let up = g.plan_upgrade(&[], &Target::Heads).unwrap();
            prop_assert_eq!(up.len(), g.len());
            let mut seen = std::collections::BTreeSet::new();
            for s in &up {
                for p in g.parents(&s.revision).iter().chain(g.dependencies(&s.revision)) {
                    prop_assert!(seen.contains(p), "{} before its parent/dependency {}", s.revision, p);
                }
                prop_assert!(seen.insert(s.revision.clone()));
            }
            let top = chained(&up, &[])?;
            prop_assert_eq!(&top, &g.heads());
            prop_assert!(g.plan_upgrade(&top, &Target::Heads).unwrap().is_empty());
            let down = g.plan_downgrade(&top, &Target::Base).unwrap();
            prop_assert_eq!(down.len(), g.len());
            prop_assert!(chained(&down, &top)?.is_empty());
            // Every intermediate state is a valid version table for the graph.
            for s in up.iter().chain(&down) {
                prop_assert!(g.applied(&s.heads_after).is_ok());
            }
            // Down to each revision, then up to heads again, lands on the heads.
            for r in g.topological() {
                let d = g.plan_downgrade(&top, &Target::Rev(r.to_string())).unwrap();
                let mid = chained(&d, &top)?;
                prop_assert!(g.ancestors_or_self(&mid).contains(&r));
                let u = g.plan_upgrade(&mid, &Target::Heads).unwrap();
                prop_assert_eq!(u.len(), d.len());
                prop_assert_eq!(chained(&u, &mid)?, top.clone());
            }
        }
    }
}

mod new_revisions {
    use super::*;

    fn req<'a>(head: Option<&'a str>, splice: bool) -> NewRevision<'a> {
        NewRevision {
            message: "m",
            head,
            splice,
            created: "2026-11-24T22:30:00Z",
            ..Default::default()
        }
    }
    fn counter() -> impl FnMut() -> u64 {
        let mut n = 0x1234_0000_0000u64;
        move || {
            n += 1;
            n
        }
    }

    #[test]
    fn parents_by_head_and_splice() {
        // graph, --head, --splice, revises (or error text)
        let cases: &[(&[&str], Option<&str>, bool, &str)] = &[
            (&[], None, false, ""),
            (&[], Some("base"), false, ""),
            (LINEAR, None, false, "c3"),
            (LINEAR, Some("base"), false, ""),
            (
                LINEAR,
                Some("b2"),
                false,
                "Err: b2 (v/1.sql) is not a head (it is revised by c3 (v/2.sql)); pass --splice",
            ),
            (LINEAR, Some("b2"), true, "b2"),
            (BRANCHED, None, false, "Err: several heads"),
            (BRANCHED, Some("shop@head"), false, "d"),
            (BRANCHED, Some("c"), false, "c"),
            (BRANCHED, Some("heads"), false, "Err: several heads"),
        ];
        for (specs, head, splice, want) in cases {
            let g = graph(specs).unwrap();
            let got = match g.new_revision(&req(*head, *splice), counter()) {
                Ok(m) => ids(&m.revises),
                Err(e) => format!("Err: {e}"),
            };
            let ok = if let Some(w) = want.strip_prefix("Err: ") {
                got.starts_with("Err") && got.contains(w)
            } else {
                got == *want
            };
            assert!(ok, "{specs:?} --head {head:?} splice={splice}: {got}");
        }
    }

    #[test]
    fn ids_labels_depends() {
        let g = graph(DEPS).unwrap();
        let m = g.new_revision(&req(Some("c"), false), counter()).unwrap();
        assert_eq!(m.revision.as_str(), "123400000001");
        assert_eq!(
            (m.message.as_str(), m.created.as_str()),
            ("m", "2026-11-24T22:30:00Z")
        );
        let labels = vec!["shop".to_string(), "shop".to_string()];
        let deps = ["other".to_string(), "y".to_string(), "b".to_string()];
        let r = NewRevision {
            rev_id: Some("init_2"),
            branch_labels: &labels,
            depends_on: &deps[..2],
            ..req(Some("c"), false)
        };
        let m = g.new_revision(&r, counter()).unwrap();
        assert_eq!(
            (
                m.revision.as_str(),
                m.branch_labels.clone(),
                m.depends_on.clone()
            ),
            (
                "init_2",
                vec!["shop".to_string()],
                vec!["other".to_string(), "y".to_string()]
            )
        );
        let bad = |r: NewRevision<'_>| {
            g.new_revision(&r, counter())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(bad(NewRevision {
            rev_id: Some("c"),
            ..req(Some("c"), false)
        })
        .contains("v/4.sql already uses it"));
        assert!(bad(NewRevision {
            rev_id: Some("Bad-Id"),
            ..req(Some("c"), false)
        })
        .contains("is not valid"));
        let l = vec!["other".to_string()];
        assert!(bad(NewRevision {
            branch_labels: &l,
            ..req(Some("c"), false)
        })
        .contains("x (v/2.sql) already has it"));
        let l = vec!["a".to_string()];
        assert!(bad(NewRevision {
            branch_labels: &l,
            ..req(Some("c"), false)
        })
        .contains("it is a revision id"));
        assert!(bad(NewRevision {
            depends_on: &deps[2..],
            ..req(Some("b"), true)
        })
        .contains("already a parent"));
        let d = vec!["nope".to_string()];
        assert!(bad(NewRevision {
            depends_on: &d,
            ..req(Some("c"), false)
        })
        .contains("no revision id, id prefix or branch label"));
        assert!(bad(NewRevision {
            created: "now",
            ..req(Some("c"), false)
        })
        .contains("RFC 3339"));
        // The random source skips taken ids.
        let g = graph(&["123400000001"]).unwrap();
        assert_eq!(
            g.new_revision(&req(None, false), counter())
                .unwrap()
                .revision
                .as_str(),
            "123400000002"
        );
    }

    #[test]
    fn merges() {
        let g = graph(BRANCHED).unwrap();
        let m = g
            .merge_revision(&["heads"], &req(None, false), counter())
            .unwrap();
        assert_eq!(ids(&m.revises), "c,d");
        let m = g
            .merge_revision(&["d", "c", "d"], &req(None, false), counter())
            .unwrap();
        assert_eq!(ids(&m.revises), "c,d");
        let e = g
            .merge_revision(&["b", "d"], &req(None, false), counter())
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("b (v/1.sql) already comes before d (v/3.sql)"),
            "{e}"
        );
        let e = g
            .merge_revision(&["d"], &req(None, false), counter())
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("needs two or more"), "{e}");
        assert!(graph(LINEAR)
            .unwrap()
            .merge_revision(&["heads"], &req(None, false), counter())
            .is_err());
    }
}

#[test]
fn stamps() {
    // graph, current, target, purge, rows after
    let cases: &[(&[&str], &str, &str, bool, &str)] = &[
        (LINEAR, "", "head", false, "c3"),
        (LINEAR, "c3", "a1", false, "a1"),
        (LINEAR, "c3", "base", false, ""),
        (LINEAR, "b2", "b2", false, "b2"),
        (LINEAR, "zz", "b2", true, "b2"),
        (BRANCHED, "c", "d", false, "c,d"),
        (BRANCHED, "c,d", "b", false, "b,c"),
        (BRANCHED, "c,d", "b", true, "b"),
        (BRANCHED, "", "heads", false, "c,d"),
        (MERGED, "n", "-1", false, "m"),
    ];
    for (specs, current, target, purge, want) in cases {
        let g = graph(specs).unwrap();
        let got = g
            .stamp_heads(&heads(current), &Target::parse(target).unwrap(), *purge)
            .map(|h| ids(&h));
        assert_eq!(
            got.map_err(|e| e.to_string()),
            Ok(want.to_string()),
            "{specs:?} [{current}] stamp {target} purge={purge}"
        );
    }
    assert!(graph(LINEAR)
        .unwrap()
        .stamp_heads(&heads("zz"), &Target::Head, false)
        .is_err());
}
