package cn.liuhen.bindings.test

import cn.liuhen.core.LiuhenCore
import cn.liuhen.core.LiuhenException
import kotlinx.coroutines.runBlocking
import org.junit.Test
import kotlin.test.assertContains
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertTrue

/**
 * Drafting a proposed decision on the phone with no signal (R-LEGAL-1), through the
 * generated Kotlin bindings on the real native library, then syncing it to a real
 * server: the draft stays on the phone while offline, reaches the server at the next
 * sync, and bad input is refused with the field named.
 */
class DraftOnThePhoneTest {
    @Test
    fun aDraftMadeOfflineSyncsLaterAndBadInputNamesTheField() = runBlocking<Unit> {
        var server = TestServer.start()
        try {
            val core: LiuhenCore = enrolledPhone(server)
            server.kill() // no signal at the site

            val form = core.draftTemplate("penalty").copy(
                title = "关于鑫达陶瓷超标排放的处罚决定",
                category = "生态环境",
                partyName = "清远市鑫达陶瓷有限公司",
                partyCode = "91441802MA53XKP2R7",
                legalBasis = "《大气污染防治法》第九十九条",
                facts = "颗粒物超标排放",
                fineFen = 2_000_000L,
            )
            val id = core.createDraft(Demo.LI_MING, form)
            val draft = core.draft(id)
            assertEquals("pending", draft.sync.state)
            assertEquals("待同步", draft.sync.stateLabel)

            // Edits from what the officer saw; the same content again changes nothing.
            val edited = draft.content.copy(discretion = "一般情节，首次违法")
            assertTrue(core.editDraft(id, Demo.LI_MING, draft.heads, edited))
            val now = core.draft(id)
            assertFalse(core.editDraft(id, Demo.LI_MING, now.heads, edited))

            // Bad input names the field and writes nothing.
            val badKind = assertFailsWith<LiuhenException.InvalidInput> {
                core.editDraft(id, Demo.LI_MING, now.heads, edited.copy(kind = "无此类型"))
            }
            assertEquals("kind", badKind.field)
            val tooLong = assertFailsWith<LiuhenException.InvalidInput> {
                core.editDraft(id, Demo.LI_MING, now.heads, edited.copy(title = "题".repeat(20_001)))
            }
            assertEquals("title", tooLong.field)
            assertEquals(now.heads, core.draft(id).heads)

            // Offline: the sync fails, the draft is kept and still pending.
            assertFailsWith<LiuhenException.Offline> { core.syncNow() }
            assertEquals("pending", core.draft(id).sync.state)

            server = server.restart()
            val summary = core.syncNow()
            assertEquals(listOf(id), summary.draftsSynced)
            val synced = core.draft(id)
            assertEquals("synced", synced.sync.state)
            assertEquals("起草中", synced.sync.serverLabel)
            assertEquals("一般情节，首次违法", synced.content.discretion)
            assertEquals(listOf(id), core.drafts().map { it.id })
        } finally {
            server.kill()
        }
    }

    @Test
    fun aPhoneThatNeverEnrolledCannotDraft() {
        val fresh = LiuhenCore.open(tempDir("never-enrolled").path)
        val e = assertFailsWith<LiuhenException.NotEnrolled> {
            fresh.createDraft(Demo.LI_MING, fresh.draftTemplate("penalty").copy(title = "标题"))
        }
        assertContains(e.detail, "登记")
    }
}
