//! Demo data of the public portal (R-PRE-1, R-PRE-4, R-POST-5): the profiles of the
//! two demo agencies, the R-REC-2 recording list, a small PNG flow chart, the
//! default legal review catalogue if none exists, and the 2025 appeal numbers with
//! the 2025 statistics published. Idempotent: a second run adds nothing.

use chrono::{TimeZone, Utc};

use crate::error::AppError;
use crate::services::public_docs::{R_REC_2_STEPS, public_docs_dir, store_file};
use crate::state::AppState;
use crate::storage::public_profile::{
    Actor, AppealCounts, AppealKind, DocumentKind, PublicDocument, PublicProfile, StatsPublication,
};

/// Id of the demo flow chart (fixed, so a second run finds it).
pub const DEMO_FLOW_CHART_ID: &str = "01936d00-0000-7000-8000-0000000f1001";

/// The year whose statistics the demo publishes.
pub const DEMO_STATS_YEAR: i32 = 2025;

struct DemoAgency {
    id: &'static str,
    bodies: &'static str,
    duties: &'static str,
    supervision: &'static str,
    remedy: &'static str,
}

const AGENCIES: [DemoAgency; 2] = [
    DemoAgency {
        id: "qy-sthj",
        bodies: "清远市生态环境局（法定行政机关）\n清远市生态环境局综合行政执法支队（受委托实施行政执法）",
        duties: "依据《中华人民共和国环境保护法》《中华人民共和国大气污染防治法》《中华人民共和国水污染防治法》《中华人民共和国固体废物污染环境防治法》《排污许可管理条例》等法律法规，对本行政区域内生态环境保护工作实施统一监督管理。\n依法实施排污许可、环境影响评价文件审批等行政许可；对环境违法行为实施行政处罚；依法实施查封、扣押等行政强制措施；开展现场检查和“双随机、一公开”抽查。",
        supervision: "监督电话：0763-12345（工作日 8:30—12:00，14:30—17:30）\n来信地址：清远市清城区生态环境局法制科（邮编 511500）\n生态环境违法行为举报：12345 热线、“粤省事”生态环境举报平台",
        remedy: "公民、法人或者其他组织对本局作出的行政行为不服的，可以自知道该行政行为之日起六十日内向清远市人民政府申请行政复议，或者自知道或者应当知道该行政行为之日起六个月内向有管辖权的人民法院提起行政诉讼。\n对行政处罚决定，当事人有陈述、申辩的权利；符合条件的，有要求举行听证的权利。",
    },
    DemoAgency {
        id: "yd-scjg",
        bodies: "英德市市场监督管理局（法定行政机关）\n英德市市场监督管理局综合执法队",
        duties: "依据《中华人民共和国食品安全法》《中华人民共和国产品质量法》《中华人民共和国行政处罚法》等法律法规，负责本市市场主体登记注册、食品安全、产品质量、价格和计量等监督管理，依法查处违法行为。",
        supervision: "监督电话：0763-22345\n来信地址：英德市英城街道市场监督管理局法规股",
        remedy: "对本局作出的行政行为不服的，可以自知道该行政行为之日起六十日内向英德市人民政府申请行政复议，或者六个月内向人民法院提起行政诉讼。",
    },
];

/// A small real PNG: a three-step flow chart (boxes joined by arrows).
pub fn flow_chart_png() -> Result<Vec<u8>, AppError> {
    let (w, h) = (360u32, 120u32);
    let mut img = image::RgbImage::from_pixel(w, h, image::Rgb([255, 255, 255]));
    let ink = image::Rgb([30, 60, 120]);
    for b in 0..3u32 {
        let (x0, y0, x1, y1) = (20 + b * 120, 35, 100 + b * 120, 85);
        for x in x0..=x1 {
            for t in 0..2 {
                img.put_pixel(x, y0 + t, ink);
                img.put_pixel(x, y1 - t, ink);
            }
        }
        for y in y0..=y1 {
            for t in 0..2 {
                img.put_pixel(x0 + t, y, ink);
                img.put_pixel(x1 - t, y, ink);
            }
        }
        if b < 2 {
            for x in x1 + 2..x1 + 38 {
                img.put_pixel(x, 60, ink);
                img.put_pixel(x, 61, ink);
            }
            for d in 0..6 {
                img.put_pixel(x1 + 37 - d, 60 - d, ink);
                img.put_pixel(x1 + 37 - d, 61 + d, ink);
            }
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| AppError::internal(format!("demo flow chart: {e}")))?;
    Ok(out.into_inner())
}

/// Seeds the portal demo data (see the module doc); safe to run on every start.
pub async fn load(state: &AppState) -> Result<(), AppError> {
    let admin = state.storage.user_by_login("admin").await?;
    let (admin_id, admin_name) = admin
        .map(|u| (u.id, u.name))
        .unwrap_or_else(|| ("demo".into(), "演示数据".into()));
    let now = state.clock.now();
    let by = Actor {
        user_id: admin_id.clone(),
        name: admin_name.clone(),
        at: now,
    };
    for a in &AGENCIES {
        if state.storage.public_profile(a.id).await?.is_none() {
            let p = PublicProfile {
                agency_id: a.id.into(),
                bodies: a.bodies.into(),
                duties: a.duties.into(),
                supervision: a.supervision.into(),
                remedy: a.remedy.into(),
                recording_steps: R_REC_2_STEPS.iter().map(|s| s.to_string()).collect(),
                updated_by: admin_id.clone(),
                updated_at: now,
            };
            state
                .storage
                .put_public_profile(&p, &admin_name, "演示数据：初始公示信息")
                .await?;
        }
        if state
            .storage
            .appeal_stats(Some(a.id), DEMO_STATS_YEAR)
            .await?
            .is_empty()
        {
            let rc = AppealCounts {
                total: 3,
                upheld: 2,
                corrected: 1,
                other: 0,
            };
            let lt = AppealCounts {
                total: 1,
                upheld: 1,
                corrected: 0,
                other: 0,
            };
            for (kind, n) in [
                (AppealKind::Reconsideration, rc),
                (AppealKind::Litigation, lt),
            ] {
                state
                    .storage
                    .put_appeal_stats(
                        a.id,
                        DEMO_STATS_YEAR,
                        kind,
                        &n,
                        &by,
                        &crate::services::labels::appeals_detail(DEMO_STATS_YEAR, kind, &n),
                    )
                    .await?;
            }
        }
        let published = state
            .storage
            .stats_publications(Some(DEMO_STATS_YEAR))
            .await?;
        if !published.iter().any(|p| p.agency_id == a.id) {
            // Demo history: published on 2026-01-20 10:00 Beijing, before the
            // January 31 deadline (R-POST-5), unless the clock is earlier still.
            let on_time = Utc
                .with_ymd_and_hms(2026, 1, 20, 2, 0, 0)
                .single()
                .unwrap_or(now)
                .min(now);
            state
                .storage
                .publish_stats(&StatsPublication {
                    agency_id: a.id.into(),
                    year: DEMO_STATS_YEAR,
                    published_by: admin_id.clone(),
                    by_name: admin_name.clone(),
                    published_at: on_time,
                })
                .await?;
        }
    }
    if state
        .storage
        .public_document(DEMO_FLOW_CHART_ID)
        .await?
        .is_none()
    {
        let png = flow_chart_png()?;
        let dir = public_docs_dir(state);
        let bytes = png.clone();
        let sha = tokio::task::spawn_blocking(move || store_file(&dir, &bytes))
            .await
            .map_err(AppError::internal)?
            .map_err(AppError::internal)?;
        let doc = PublicDocument {
            id: DEMO_FLOW_CHART_ID.into(),
            agency_id: "qy-sthj".into(),
            kind: DocumentKind::FlowChart,
            title: "行政检查流程图".into(),
            file_name: "行政检查流程图.png".into(),
            content_type: "image/png".into(),
            sha256: sha,
            size: png.len() as u64,
            uploaded_by: admin_id.clone(),
            uploaded_at: now,
            deleted_at: None,
        };
        let detail = crate::services::labels::document_added_detail(&doc);
        state
            .storage
            .add_public_document(&doc, &admin_name, &detail)
            .await?;
    }
    if state
        .storage
        .catalogue_versions("qy-sthj")
        .await?
        .is_empty()
        && admin_id != "demo"
    {
        state
            .storage
            .add_catalogue(
                "qy-sthj",
                &liuhen_domain::legal::Catalogue::default_for_agency(),
                "演示数据：初始目录",
                &admin_id,
                now,
            )
            .await?;
    }
    tracing::info!("demo public profile loaded");
    Ok(())
}
