package cn.liuhen.app.logic

import cn.liuhen.bindings.test.Demo
import cn.liuhen.bindings.test.Media
import cn.liuhen.bindings.test.TestServer
import cn.liuhen.bindings.test.enrolledPhone
import cn.liuhen.bindings.test.tempDir
import cn.liuhen.core.LiuhenCore
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.cancel
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.AfterClass
import org.junit.BeforeClass
import org.junit.Test
import java.io.File
import java.util.concurrent.Executors
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertIs
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

/**
 * The controller against the real core (native library through the generated
 * bindings), with a roster received from a real server: a whole inspection driven by
 * events, the screen checked after each step.
 */
class InspectionControllerTest {
    companion object {
        private lateinit var server: TestServer

        @BeforeClass @JvmStatic
        fun startServer() { server = TestServer.start() }

        @AfterClass @JvmStatic
        fun stopServer() { server.close() }
    }

    private val ioPool = Executors.newFixedThreadPool(2)
    private val io = ioPool.asCoroutineDispatcher()

    private fun <T> withController(body: suspend (LiuhenCore, InspectionController, File) -> T): T {
        val core = enrolledPhone(server)
        val id = core.openForTask(Demo.TASK, Demo.LI_MING)
        val scope = CoroutineScope(SupervisorJob() + io)
        val granted = PermissionState().withResult(AppPermission.CAMERA, true, true).withResult(AppPermission.MICROPHONE, true, true)
        val c = InspectionController(core, id, Demo.LI_MING, scope, io, granted)
        try {
            return runBlocking { withTimeout(120_000) { body(core, c, tempDir("liuhen-media")) } }
        } finally {
            c.close()
            scope.cancel()
            ioPool.shutdown()
        }
    }

    private suspend fun InspectionController.loaded(p: (FlowScreen) -> Boolean = { true }) =
        screen.first { it.title.isNotEmpty() && !it.busy && p(it) }

    @Test
    fun aWholeInspectionStepByStepThroughTheController() = withController { core, c, media ->
        c.start()
        var s = c.loaded()
        assertEquals(FlowStep.CHECK_IN, s.current)
        assertEquals(listOf(Demo.LI_MING, Demo.CHEN_XIAOHONG), s.checkIn.officers.map { it.id })
        assertTrue(s.identity.statement.isNotBlank(), "the generated statement is on screen")
        assertEquals(4, s.close.unmet.size, s.close.unmet.toString())

        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.onEvent(FlowEvent.CheckIn(Demo.CHEN_XIAOHONG)).join()
        s = c.loaded { it.current == FlowStep.IDENTITY_NOTICE }
        assertTrue(s.checkIn.officers.all { it.checkedIn })

        c.onEvent(FlowEvent.RecordingStarted).join()
        assertEquals(RecordingState.Recording, c.model.value.draft.recording)
        val wav = Media.wav(media, "notice.wav")
        c.onEvent(FlowEvent.RecordingFinished(wav.path, wav.length(), 2_000, "audio/wav")).join()
        s = c.loaded { it.identity.save.enabled }
        c.onEvent(FlowEvent.SaveIdentityNotice).join()
        s = c.loaded { it.current == FlowStep.FINDINGS }
        assertNotNull(s.identity.given)

        c.onEvent(FlowEvent.PhotoTaken(Media.jpeg(media, "outlet.jpg").path)).join()
        c.onEvent(FlowEvent.FindingTextChanged("废水排放口标识牌缺失")).join()
        s = c.loaded { it.findings.unattachedPhotos.size == 1 }
        c.onEvent(FlowEvent.AddFinding).join()
        s = c.loaded { it.current == FlowStep.RIGHTS_NOTICE }
        assertEquals("", s.findings.draftText)
        assertEquals(1, core.inspection(c.model.value.inspectionId).findings.single().evidence.size, "the photo is attached")

        c.onEvent(FlowEvent.SignerNameChanged("张伟")).join()
        c.onEvent(FlowEvent.SignatureDrawn(Media.signaturePng(media, "sign.png").path)).join()
        s = c.loaded { it.rights.signatureStored }
        c.onEvent(FlowEvent.SaveRightsNotice).join()
        s = c.loaded { it.current == FlowStep.CLOSE }
        assertTrue(s.close.close.enabled, s.close.close.whyNot)
        assertEquals(emptyList(), s.close.unmet)

        c.onEvent(FlowEvent.Close).join()
        s = c.loaded { it.readOnly }
        assertNull(s.current)
        assertNotNull(s.amend)
        assertTrue(core.records(true).any { it.id == c.model.value.inspectionId }, "closed, waiting to sync")
    }

    @Test
    fun closeRefusedByTheCoreListsTheUnmetRulesAndKeepsTheDraft() = withController { _, c, _ ->
        c.start()
        c.loaded()
        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.onEvent(FlowEvent.FindingTextChanged("尚未保存的检查情况")).join()
        c.onEvent(FlowEvent.Close).join()
        val m = c.model.value
        val msg = assertNotNull(m.message)
        assertIs<NextAction.ShowUnmetRules>(msg.action)
        assertTrue(msg.text.contains("R-SCENE-2"), msg.text)
        assertTrue(msg.text.contains("R-SCENE-4"), msg.text)
        assertEquals("尚未保存的检查情况", m.draft.findingText)
        assertFalse(m.busy)
        assertEquals(FlowStep.CHECK_IN, c.loaded().current)
    }

    @Test
    fun aRefusedRecordingKeepsTheStepOpenAndSaysWhy() = withController { _, c, media ->
        c.start()
        c.loaded()
        c.onEvent(FlowEvent.CheckIn(Demo.LI_MING)).join()
        c.onEvent(FlowEvent.CheckIn(Demo.CHEN_XIAOHONG)).join()
        c.onEvent(FlowEvent.RecordingStarted).join()
        // Not audio at all: the core refuses it by its content and stores nothing.
        val junk = File(media, "broken.m4a").apply { writeBytes(ByteArray(4096) { 0x5a }) }
        c.onEvent(FlowEvent.RecordingFinished(junk.path, junk.length(), 10_000)).join()
        val m = c.model.value
        assertEquals(RecordingState.Idle, m.draft.recording)
        assertTrue(m.message!!.text.startsWith("证据未保存"), m.message!!.text)
        // The screen is derived from the model on the controller's scope: wait for the
        // one that shows the recorder stopped (an earlier one still said "stop first").
        val s = c.loaded { !it.identity.stopRecording.enabled }
        assertEquals(FlowStep.IDENTITY_NOTICE, s.current)
        assertEquals("R-REC-2: 请先录制亮证告知录音或录像", s.identity.save.whyNot)
    }
}
