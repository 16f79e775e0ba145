//! The pure draw algorithm (R-RAND-1..3): constraints (R-SCENE-1 certificates and
//! areas over the whole window, R-RAND-2 conflicts, rotation away from the last
//! team, staffing shortfalls that name the reason), determinism, canonical inputs,
//! property tests, and chi-square fairness over fixed seeds (cannot flake).

use chrono::NaiveDate;
use proptest::prelude::*;

use liuhen_core::model::{CertificateStatus, Officer, TargetKind};
use liuhen_server::services::draws::algorithm::{
    self, ConflictPair, DrawError, DrawInputs, DrawTarget, LastTeam, ShortfallKind, SpotCheckItem,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn item(ratio_bp: u32) -> SpotCheckItem {
    SpotCheckItem {
        code: "HB-01".into(),
        name: "排污许可证执行情况检查".into(),
        checking_body: "清远市生态环境局".into(),
        legal_basis: "《排污许可管理条例》".into(),
        category: "生态环境".into(),
        target_kinds: vec![],
        target_areas: vec![],
        content: "排污许可证载明事项执行情况".into(),
        ratio_bp,
        method: "现场检查".into(),
        frequency: "每年一次".into(),
    }
}

fn officer(id: &str, areas: &[&str]) -> Officer {
    Officer {
        id: id.into(),
        agency_id: "a".into(),
        name: format!("人员{id}"),
        unit: "执法支队".into(),
        post: "队员".into(),
        certificate_no: format!("C{id}"),
        categories: vec!["生态环境".into()],
        areas: areas.iter().map(|s| s.to_string()).collect(),
        valid_from: d(2024, 1, 1),
        valid_until: d(2029, 12, 31),
        status: CertificateStatus::Active,
    }
}

fn target(id: &str, area: &str) -> DrawTarget {
    DrawTarget {
        id: id.into(),
        name: format!("对象{id}"),
        kind: TargetKind::Organisation,
        credit_code: None,
        category: "生态环境".into(),
        area: area.into(),
    }
}

fn inputs(ratio_bp: u32, targets: Vec<DrawTarget>, officers: Vec<Officer>) -> DrawInputs {
    DrawInputs {
        format: algorithm::FORMAT.into(),
        agency_id: "a".into(),
        draw_date: d(2026, 11, 23),
        due_date: d(2026, 12, 31),
        item: item(ratio_bp),
        targets,
        officers,
        conflicts: vec![],
        last_teams: vec![],
    }
}

fn seed(n: u64) -> [u8; 32] {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&n.to_le_bytes());
    s
}

fn ids(n: usize, prefix: &str) -> Vec<String> {
    (0..n).map(|i| format!("{prefix}{i:03}")).collect()
}

#[test]
fn r_scene_1_only_officers_certified_for_category_area_and_whole_window_are_drawn() {
    let mut wrong_category = officer("o-cat", &["441800"]);
    wrong_category.categories = vec!["安全生产".into()];
    let wrong_area = officer("o-area", &["440100"]);
    let mut suspended = officer("o-susp", &["441800"]);
    suspended.status = CertificateStatus::Suspended;
    // Valid on the draw date but expires before the due date.
    let mut expiring = officer("o-exp", &["441800"]);
    expiring.valid_until = d(2026, 12, 1);
    let good = vec![officer("o-1", &["441800"]), officer("o-2", &["441802"])];
    let mut officers = vec![wrong_category, wrong_area, suspended, expiring];
    officers.extend(good);
    let inp = inputs(10_000, vec![target("t1", "441802")], officers);
    for s in 0..50 {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        assert_eq!(out.drawn.len(), 1);
        let mut team = out.drawn[0].officer_ids.clone();
        team.sort();
        assert_eq!(team, vec!["o-1", "o-2"], "seed {s}");
    }
}

#[test]
fn r_scene_1_shortfall_names_the_reason_and_relaxes_nothing() {
    // Covers the area but expires before the due date.
    let mut expiring = officer("o-exp", &["440100"]);
    expiring.valid_until = d(2026, 12, 1);
    let inp = inputs(
        10_000,
        vec![target("t1", "441802"), target("t2", "440103")],
        vec![
            officer("o-1", &["441800"]),
            officer("o-2", &["441800"]),
            officer("o-3", &["440100"]),
            expiring,
        ],
    );
    let out = algorithm::run(&inp, &seed(7), "").unwrap();
    assert_eq!(out.drawn.len(), 2);
    assert_eq!((out.staffed, out.unstaffed), (1, 1));
    let t2 = out.drawn.iter().find(|x| x.target_id == "t2").unwrap();
    assert!(t2.officer_ids.is_empty(), "no team of one: {t2:?}");
    let s = t2.shortfall.as_ref().unwrap();
    assert_eq!(s.kind, ShortfallKind::NotEnoughCertified);
    assert_eq!(s.certified, vec!["o-3"]);
    assert!(s.message.starts_with("R-SCENE-1"), "{}", s.message);
    assert!(s.message.contains("440103"), "{}", s.message);
    assert_eq!(s.excluded.get("执法区域不符"), Some(&2));
    assert_eq!(s.excluded.get("证件不在抽查期间内全程有效"), Some(&1));
}

#[test]
fn r_rand_2_conflicted_officers_are_never_drawn_and_shortfall_names_them() {
    let officers = vec![
        officer("o-1", &["441800"]),
        officer("o-2", &["441800"]),
        officer("o-3", &["441800"]),
    ];
    let mut inp = inputs(
        10_000,
        vec![target("t1", "441802"), target("t2", "441802")],
        officers,
    );
    inp.conflicts = vec![
        ConflictPair {
            officer_id: "o-1".into(),
            target_id: "t1".into(),
        },
        ConflictPair {
            officer_id: "o-1".into(),
            target_id: "t2".into(),
        },
        ConflictPair {
            officer_id: "o-2".into(),
            target_id: "t2".into(),
        },
    ];
    for s in 0..50 {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        let t1 = out.drawn.iter().find(|x| x.target_id == "t1").unwrap();
        let mut team = t1.officer_ids.clone();
        team.sort();
        assert_eq!(team, vec!["o-2", "o-3"]);
        let t2 = out.drawn.iter().find(|x| x.target_id == "t2").unwrap();
        let sf = t2.shortfall.as_ref().unwrap();
        assert_eq!(sf.kind, ShortfallKind::Conflicted);
        assert_eq!(sf.conflicted, vec!["o-1", "o-2"]);
        assert!(sf.message.starts_with("R-RAND-2"), "{}", sf.message);
        assert!(sf.message.contains("人员o-1（Co-1）"), "{}", sf.message);
    }
}

#[test]
fn rotation_avoids_the_last_team_where_possible_and_says_when_it_cannot() {
    let mut inp = inputs(
        10_000,
        vec![target("t1", "441802")],
        vec![
            officer("o-1", &["441800"]),
            officer("o-2", &["441800"]),
            officer("o-3", &["441800"]),
            officer("o-4", &["441800"]),
        ],
    );
    inp.last_teams = vec![LastTeam {
        target_id: "t1".into(),
        officer_ids: vec!["o-1".into(), "o-2".into()],
    }];
    for s in 0..50 {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        let mut team = out.drawn[0].officer_ids.clone();
        team.sort();
        assert_eq!(team, vec!["o-3", "o-4"], "seed {s}");
        assert!(out.drawn[0].repeats_last_team.is_empty());
    }
    // Only three eligible: one of the last team must come back, and it is said.
    inp.officers.pop();
    for s in 0..50 {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        let dt = &out.drawn[0];
        assert!(dt.officer_ids.contains(&"o-3".to_string()));
        assert_eq!(dt.repeats_last_team.len(), 1);
        assert!(dt.officer_ids.contains(&dt.repeats_last_team[0]));
    }
}

#[test]
fn load_is_spread_evenly_across_officers() {
    let officers: Vec<Officer> = ids(10, "o")
        .iter()
        .map(|id| officer(id, &["441800"]))
        .collect();
    let targets: Vec<DrawTarget> = ids(25, "t").iter().map(|id| target(id, "441802")).collect();
    let out = algorithm::run(&inputs(10_000, targets, officers), &seed(3), "").unwrap();
    let mut load = std::collections::HashMap::new();
    for dt in &out.drawn {
        for o in &dt.officer_ids {
            *load.entry(o.clone()).or_insert(0) += 1;
        }
    }
    // 50 slots over 10 officers: exactly 5 each.
    assert_eq!(load.len(), 10);
    assert!(load.values().all(|&n| n == 5), "{load:?}");
}

#[test]
fn ratio_is_rounded_up_and_bad_inputs_are_refused_with_rule_ids() {
    let t: Vec<DrawTarget> = ids(10, "t").iter().map(|i| target(i, "441802")).collect();
    let o = vec![officer("o-1", &["441800"]), officer("o-2", &["441800"])];
    let out = algorithm::run(&inputs(1_500, t.clone(), o.clone()), &seed(1), "").unwrap();
    assert_eq!(out.drawn.len(), 2); // ⌈10 × 15 %⌉
    let out = algorithm::run(&inputs(1, t.clone(), o.clone()), &seed(1), "").unwrap();
    assert_eq!(out.drawn.len(), 1);

    let e = algorithm::run(&inputs(10_001, t.clone(), o.clone()), &seed(1), "").unwrap_err();
    assert!(matches!(e, DrawError::BadRatio { .. }));
    assert!(e.to_string().starts_with("R-PRE-3"), "{e}");
    assert!(e.to_string().contains("100.01%"), "{e}");
    let e = algorithm::run(&inputs(500, vec![], o.clone()), &seed(1), "").unwrap_err();
    assert!(matches!(e, DrawError::EmptyPopulation { .. }));
    assert!(e.to_string().starts_with("R-RAND-1"), "{e}");
    let mut outside = t.clone();
    outside[3].category = "安全生产".into();
    let e = algorithm::run(&inputs(500, outside, o.clone()), &seed(1), "").unwrap_err();
    assert!(matches!(e, DrawError::OutsidePopulation { .. }), "{e}");
    let mut dup = t.clone();
    dup.push(t[0].clone());
    let e = algorithm::run(&inputs(500, dup, o), &seed(1), "").unwrap_err();
    assert!(matches!(e, DrawError::Duplicate { .. }), "{e}");
}

#[test]
fn same_inputs_and_seed_give_the_same_draw_whatever_the_list_order() {
    let officers: Vec<Officer> = ids(30, "o")
        .iter()
        .map(|id| officer(id, &["441800"]))
        .collect();
    let targets: Vec<DrawTarget> = ids(200, "t")
        .iter()
        .map(|id| target(id, "441802"))
        .collect();
    let a = inputs(1_000, targets, officers);
    let mut b = a.clone();
    b.targets.reverse();
    b.officers.reverse();
    assert_eq!(a.hash(), b.hash(), "canonical order");
    let ra = algorithm::run(&a, &seed(42), "").unwrap();
    let rb = algorithm::run(&b, &seed(42), "").unwrap();
    assert_eq!(ra, rb);
    assert_eq!(ra, algorithm::run(&a, &seed(42), "").unwrap());
    // Another seed or other public entropy draws differently.
    assert_ne!(ra, algorithm::run(&a, &seed(43), "").unwrap());
    assert_ne!(ra, algorithm::run(&a, &seed(42), "03 08 15").unwrap());
    // Any change of the inputs changes the hash.
    let mut c = a.clone();
    c.targets[5].area = "441803".into();
    assert_ne!(a.hash(), c.hash());
}

#[test]
fn a_known_draw_is_stable_across_versions() {
    // Pinned: if this changes, published draws can no longer be verified. Bump
    // FORMAT instead of changing the algorithm of `liuhen-draw/1`.
    let officers: Vec<Officer> = ids(6, "o")
        .iter()
        .map(|id| officer(id, &["441800"]))
        .collect();
    let targets: Vec<DrawTarget> = ids(20, "t").iter().map(|id| target(id, "441802")).collect();
    let out = algorithm::run(&inputs(2_000, targets, officers), &seed(2026), "").unwrap();
    let got: Vec<(String, Vec<String>)> = out
        .drawn
        .iter()
        .map(|d| (d.target_id.clone(), d.officer_ids.clone()))
        .collect();
    let text = format!("{got:?}");
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/pinned-draw.txt"
    ))
    .unwrap_or_default();
    if expected.trim().is_empty() {
        panic!("pinned draw missing; expected contents:\n{text}");
    }
    assert_eq!(text, expected.trim());
}

#[test]
fn seed_commitment_is_sha256_of_the_seed() {
    let s = seed(9);
    let c = algorithm::seed_commitment(&s);
    assert_eq!(c.len(), 64);
    assert_eq!(algorithm::parse_seed(&hex::encode(s)), Some(s));
    assert_eq!(algorithm::parse_seed("zz"), None);
    assert_ne!(c, algorithm::seed_commitment(&seed(10)));
}

// ---- fairness ----------------------------------------------------------------

/// Pearson's chi-square statistic of observed counts against a uniform expectation.
fn chi_square(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    let e = total as f64 / counts.len() as f64;
    counts.iter().map(|&o| (o as f64 - e).powi(2) / e).sum()
}

#[test]
fn fairness_targets_are_selected_uniformly_over_fixed_seeds() {
    // 20 targets, 25 %: 5 drawn per draw; 4,000 draws → 1,000 expected each.
    let targets: Vec<DrawTarget> = ids(20, "t").iter().map(|i| target(i, "441802")).collect();
    let officers: Vec<Officer> = ids(4, "o")
        .iter()
        .map(|i| officer(i, &["441800"]))
        .collect();
    let inp = inputs(2_500, targets, officers);
    let mut counts = vec![0u64; 20];
    for s in 0..4_000 {
        for dt in algorithm::run(&inp, &seed(s), "").unwrap().drawn {
            let i: usize = dt.target_id[1..].parse().unwrap();
            counts[i] += 1;
        }
    }
    assert_eq!(counts.iter().sum::<u64>(), 20_000);
    // 19 degrees of freedom: 43.82 is the 0.1 % critical value.
    let chi = chi_square(&counts);
    assert!(chi < 43.82, "chi-square {chi:.2} over {counts:?}");
}

#[test]
fn fairness_officers_are_assigned_uniformly_over_fixed_seeds() {
    // One target per draw, 10 equally eligible officers, 2 per team: 4,000 draws →
    // 800 expected assignments each.
    let officers: Vec<Officer> = ids(10, "o")
        .iter()
        .map(|i| officer(i, &["441800"]))
        .collect();
    let inp = inputs(10_000, vec![target("t1", "441802")], officers);
    let mut counts = vec![0u64; 10];
    let mut pairs = std::collections::HashMap::new();
    for s in 0..4_000 {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        let mut team = out.drawn[0].officer_ids.clone();
        for o in &team {
            counts[o[1..].parse::<usize>().unwrap()] += 1;
        }
        team.sort();
        *pairs.entry(team).or_insert(0u64) += 1;
    }
    // 9 degrees of freedom: 27.88 is the 0.1 % critical value.
    let chi = chi_square(&counts);
    assert!(chi < 27.88, "chi-square {chi:.2} over {counts:?}");
    // Every one of the 45 pairs occurs, none dominates: 44 degrees of freedom,
    // 78.75 is the 0.1 % critical value.
    assert_eq!(pairs.len(), 45);
    let pair_counts: Vec<u64> = pairs.values().copied().collect();
    let chi = chi_square(&pair_counts);
    assert!(chi < 78.75, "pair chi-square {chi:.2}");
}

#[test]
fn fairness_with_restricted_eligibility_stays_uniform_among_the_eligible() {
    // Officers 0..4 cover area 441802, officers 5..9 only 440100: only the first
    // five may be drawn for the target, each equally often.
    let mut officers: Vec<Officer> = ids(5, "o")
        .iter()
        .map(|i| officer(i, &["441800"]))
        .collect();
    officers.extend((5..10).map(|i| officer(&format!("o{i:03}"), &["440100"])));
    let inp = inputs(10_000, vec![target("t1", "441802")], officers);
    let mut counts = vec![0u64; 10];
    for s in 0..2_000 {
        for o in &algorithm::run(&inp, &seed(s), "").unwrap().drawn[0].officer_ids {
            counts[o[1..].parse::<usize>().unwrap()] += 1;
        }
    }
    assert!(counts[5..].iter().all(|&c| c == 0), "{counts:?}");
    let chi = chi_square(&counts[..5]);
    // 4 degrees of freedom: 18.47 is the 0.1 % critical value.
    assert!(chi < 18.47, "chi-square {chi:.2} over {counts:?}");
}

// ---- properties ------------------------------------------------------------

fn arb_inputs() -> impl Strategy<Value = DrawInputs> {
    let areas = prop::sample::select(vec!["441802", "441803", "441881", "440103"]);
    let officer_areas = prop::sample::select(vec!["441800", "441802", "440100", "441881"]);
    (
        prop::collection::vec(areas, 1..40),
        prop::collection::vec(
            (
                officer_areas,
                prop::bool::weighted(0.85),
                prop::bool::weighted(0.9),
                0i64..900,
            ),
            0..15,
        ),
        1u32..=10_000,
        prop::collection::vec((0usize..15, 0usize..40), 0..20),
        prop::collection::vec((0usize..40, 0usize..15, 0usize..15), 0..10),
    )
        .prop_map(|(t_areas, offs, ratio, conflicts, lasts)| {
            let targets: Vec<DrawTarget> = t_areas
                .iter()
                .enumerate()
                .map(|(i, a)| target(&format!("t{i:03}"), a))
                .collect();
            let officers: Vec<Officer> = offs
                .iter()
                .enumerate()
                .map(|(i, (area, active, env, valid_days))| {
                    let mut o = officer(&format!("o{i:03}"), &[area]);
                    if !active {
                        o.status = CertificateStatus::Suspended;
                    }
                    if !env {
                        o.categories = vec!["安全生产".into()];
                    }
                    o.valid_until = d(2026, 11, 1) + chrono::Duration::days(*valid_days);
                    o
                })
                .collect();
            let mut inp = inputs(ratio, targets, officers);
            let no = inp.officers.len().max(1);
            let nt = inp.targets.len();
            inp.conflicts = conflicts
                .iter()
                .map(|(o, t)| ConflictPair {
                    officer_id: format!("o{:03}", o % no),
                    target_id: format!("t{:03}", t % nt),
                })
                .collect();
            inp.last_teams = lasts
                .iter()
                .map(|(t, a, b)| LastTeam {
                    target_id: format!("t{:03}", t % nt),
                    officer_ids: vec![format!("o{:03}", a % no), format!("o{:03}", b % no)],
                })
                .collect();
            // One last team per target.
            inp.last_teams.sort_by(|a, b| a.target_id.cmp(&b.target_id));
            inp.last_teams.dedup_by(|a, b| a.target_id == b.target_id);
            inp
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn every_team_satisfies_every_rule(inp in arb_inputs(), s in any::<u64>()) {
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        prop_assert_eq!(out.drawn.len(), inp.sample_size());
        prop_assert_eq!(out, algorithm::run(&inp, &seed(s), "").unwrap());
        let out = algorithm::run(&inp, &seed(s), "").unwrap();
        let mut seen = std::collections::HashSet::new();
        for dt in &out.drawn {
            prop_assert!(seen.insert(dt.target_id.clone()), "target drawn twice");
            let t = inp.targets.iter().find(|t| t.id == dt.target_id).unwrap();
            let eligible: Vec<&Officer> = inp.officers.iter().filter(|o| {
                o.certificate_check(inp.draw_date, &inp.item.category, &t.area).is_ok()
                    && o.certificate_check(inp.due_date, &inp.item.category, &t.area).is_ok()
                    && !inp.conflicts.iter().any(|c| c.officer_id == o.id && c.target_id == t.id)
            }).collect();
            match &dt.shortfall {
                Some(_) => {
                    prop_assert!(dt.officer_ids.is_empty());
                    prop_assert!(eligible.len() < 2, "shortfall although {} eligible", eligible.len());
                }
                None => {
                    prop_assert_eq!(dt.officer_ids.len(), 2);
                    prop_assert_ne!(&dt.officer_ids[0], &dt.officer_ids[1]);
                    for id in &dt.officer_ids {
                        prop_assert!(eligible.iter().any(|o| &o.id == id), "{} not eligible", id);
                    }
                    let last: Vec<&String> = inp.last_teams.iter()
                        .filter(|l| l.target_id == t.id)
                        .flat_map(|l| l.officer_ids.iter()).collect();
                    let fresh = eligible.iter().filter(|o| !last.contains(&&o.id)).count();
                    // Someone of the last team comes back only when fewer than two others are eligible.
                    let repeats = dt.officer_ids.iter().filter(|id| last.contains(id)).count();
                    prop_assert!(repeats <= 2usize.saturating_sub(fresh));
                    prop_assert_eq!(repeats, dt.repeats_last_team.len());
                }
            }
        }
    }
}
