package cn.liuhen.app.logic

import cn.liuhen.core.AgencyRightsNotice
import cn.liuhen.core.EvidenceType
import cn.liuhen.core.EvidenceView
import cn.liuhen.core.FindingView
import cn.liuhen.core.IdentityNoticeView
import cn.liuhen.core.InspectionView
import cn.liuhen.core.PartyResponse
import cn.liuhen.core.RightsNoticeView
import cn.liuhen.core.RuleViolation
import cn.liuhen.core.Step
import cn.liuhen.core.TeamMemberView
import java.time.Instant

/** Inspection values built in the tests, shaped like what the core returns. */
object Views {
    val T0: Instant = Instant.parse("2026-03-02T02:00:00Z") // 10:00 in Beijing
    const val LI = "qy-zf-001"
    const val CHEN = "qy-zf-002"
    val candidates = listOf(OfficerChoice(LI, "李明"), OfficerChoice(CHEN, "陈晓红"))

    /** The agency's rights notice as the core hands it over (shaped like the demo's). */
    val notice = AgencyRightsNotice(
        "清远生态环境-2026-01",
        "清远市生态环境局执法人员依法对你（单位）进行现场检查。对本次执法行为不服的，可以通过下列途径寻求救济：",
        listOf("六十日内申请行政复议", "六个月内提起行政诉讼", "向 12345 政务服务便民热线投诉、举报"),
    )

    fun opened() = InspectionView(
        id = "insp-1", fromTask = true, taskId = "QY-2026-SJ-0117", agencyName = "清远市生态环境局",
        targetName = "清远市华瓷陶瓷有限公司", targetAddress = "清远市清城区", targetIsNaturalPerson = false,
        category = "生态环境", itemName = "排污许可证执行情况检查", legalBasis = "《排污许可管理条例》",
        openedAt = T0, team = emptyList(), identityNotice = null, findings = emptyList(), evidence = emptyList(),
        rightsNotice = null, closedAt = null, amendments = emptyList(), reviewVerdict = null, reviewedBy = null,
        reviewComments = emptyList(), conflicts = emptyList(),
    )

    fun member(id: String, name: String) = TeamMemberView(id, name, "44180020${id.takeLast(3)}", T0.plusSeconds(60))

    fun evidence(sha: String, kind: EvidenceType, step: Step) =
        EvidenceView(sha, kind, "application/octet-stream", 1234uL, T0.plusSeconds(120), LI, step)

    fun checkedIn() = opened().copy(team = listOf(member(LI, "李明"), member(CHEN, "陈晓红")))

    fun noticed() = checkedIn().copy(
        evidence = listOf(evidence("a".repeat(64), EvidenceType.AUDIO, Step.IDENTITY_NOTICE)),
        identityNotice = IdentityNoticeView("我们是清远市生态环境局执法人员……", "a".repeat(64), T0.plusSeconds(180), LI),
    )

    fun withFinding() = noticed().let { v ->
        v.copy(
            evidence = v.evidence + evidence("b".repeat(64), EvidenceType.PHOTO, Step.FINDINGS),
            findings = listOf(FindingView("f-1", "废水排放口标识牌缺失", LI, T0.plusSeconds(300), listOf("b".repeat(64)))),
        )
    }

    fun rightsGiven() = withFinding().let { v ->
        v.copy(
            evidence = v.evidence + evidence("c".repeat(64), EvidenceType.SIGNATURE, Step.RIGHTS_NOTICE),
            rightsNotice = RightsNoticeView(notice.version, notice.remedyChannels, PartyResponse.Signed("张伟", "c".repeat(64)), T0.plusSeconds(400), LI),
        )
    }

    fun closed() = rightsGiven().copy(closedAt = T0.plusSeconds(500))

    /** Unmet rules as the core words them for a new inspection. */
    val unmetFresh = listOf(
        RuleViolation("R-SCENE-2", "R-SCENE-2: 现场检查至少需要 2 名执法人员签到，当前仅 0 名"),
        RuleViolation("R-SCENE-3", "R-SCENE-3: 尚未出示执法证件、表明身份（亮证告知未录制）"),
        RuleViolation("R-REC-1", "R-REC-1: 尚未记录检查情况（至少一条检查发现，无问题也应如实记录）"),
        RuleViolation("R-SCENE-4", "R-SCENE-4: 尚未告知当事人执法事由、依据、权利义务和救济途径"),
    )

    fun model(v: InspectionView?, unmet: List<RuleViolation> = emptyList(), permissions: PermissionState = PermissionState()) =
        FlowModel(
            "insp-1", LI, view = v, unmet = unmet, statement = "我们是清远市生态环境局执法人员……", candidates = candidates,
            agencyNotice = notice, permissions = permissions,
        )
}
