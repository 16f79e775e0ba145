package cn.liuhen.bindings.test

import java.io.File
import java.net.URI
import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse
import java.time.Duration
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/** Password of every demo account (see server/src/demo.rs). */
const val DEMO_PASSWORD = "demo-password"

/**
 * A real `liuhen-server` process on loopback with the demo agency loaded (`serve --demo`),
 * in a fresh data directory. The binary comes from `LIUHEN_SERVER_BIN` (set by
 * scripts/test-kotlin.sh).
 */
class TestServer private constructor(private val process: Process, val baseUrl: String, val dataDir: File) :
    AutoCloseable {
    private val http: HttpClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()

    companion object {
        /** Starts a server on a random port in a new temporary data directory. */
        fun start(dataDir: File = tempDir("liuhen-server"), listen: String = "127.0.0.1:0"): TestServer {
            val bin = System.getenv("LIUHEN_SERVER_BIN") ?: error("LIUHEN_SERVER_BIN is not set: run scripts/test-kotlin.sh")
            val process = ProcessBuilder(bin, "serve", "--listen", listen, "--demo", "--demo-without-inspections", "--data-dir", dataDir.path)
                .redirectErrorStream(true)
                .also { it.environment()["RUST_LOG"] = "info" }
                .start()
            val urls = LinkedBlockingQueue<String>()
            thread(isDaemon = true) {
                process.inputStream.bufferedReader().forEachLine { line ->
                    val i = line.indexOf("listening on http://")
                    if (i >= 0) {
                        urls.add(line.substring(i + "listening on ".length).takeWhile { !it.isWhitespace() && it != '"' })
                    }
                }
            }
            val url = urls.poll(60, TimeUnit.SECONDS)
            if (url == null) {
                process.destroyForcibly()
                error("liuhen-server did not print its address within 60 s")
            }
            return TestServer(process, url, dataDir)
        }
    }

    /** Kills the process (SIGKILL): the phone is offline from now on. */
    fun kill() {
        process.destroyForcibly()
        process.waitFor(30, TimeUnit.SECONDS)
    }

    /** Starts the server again on the same port and data. */
    fun restart(): TestServer {
        kill()
        return start(dataDir, baseUrl.removePrefix("http://"))
    }

    override fun close() = kill()

    /** Response status and body. */
    data class Answer(val status: Int, val body: String)

    /** A JSON request with an optional bearer token. */
    fun request(method: String, path: String, json: String? = null, token: String? = null): Answer {
        val b = HttpRequest.newBuilder(URI.create(baseUrl + path)).timeout(Duration.ofSeconds(30))
        if (token != null) b.header("Authorization", "Bearer $token")
        if (json != null) b.header("Content-Type", "application/json")
        b.method(method, if (json != null) HttpRequest.BodyPublishers.ofString(json) else HttpRequest.BodyPublishers.noBody())
        val r = http.send(b.build(), HttpResponse.BodyHandlers.ofString())
        return Answer(r.statusCode(), r.body())
    }

    /** Signs a demo user in; returns the session token. */
    fun login(login: String): String {
        val a = request("POST", "/api/v1/login", """{"login":${jsonString(login)},"password":"$DEMO_PASSWORD"}""")
        check(a.status == 200) { "login $login: ${a.status} ${a.body}" }
        return jsonField(a.body, "token") ?: error("no token in ${a.body}")
    }

    /** As a supervisor: comments on an inspection and decides (`approved` / `returned`). */
    fun review(inspectionId: String, comment: String, decision: String?) {
        val token = login("supervisor")
        val d = if (decision != null) ""","decision":"$decision"""" else ""
        val a = request("POST", "/api/v1/inspections/$inspectionId/review", """{"comment":${jsonString(comment)}$d}""", token)
        check(a.status == 200) { "review: ${a.status} ${a.body}" }
    }

    /** As the admin: revokes a device. */
    fun revokeDevice(deviceId: String) {
        val a = request("POST", "/api/v1/admin/devices/$deviceId/revoke", null, login("admin"))
        check(a.status == 200) { "revoke: ${a.status} ${a.body}" }
    }

    /** As the admin: a one-time enrolment code for a user (by login). */
    fun enrollmentCode(userLogin: String): String {
        val admin = login("admin")
        val users = request("GET", "/api/v1/admin/users", null, admin).body
        val id = Regex("""\{[^{}]*"login"\s*:\s*"${Regex.escape(userLogin)}"[^{}]*\}""").find(users)?.value
            ?.let { jsonField(it, "id") } ?: error("user $userLogin not in $users")
        val a = request("POST", "/api/v1/admin/users/$id/enrollment-code", "{}", admin)
        check(a.status == 200) { "enrollment code: ${a.status} ${a.body}" }
        return jsonField(a.body, "code") ?: error("no code in ${a.body}")
    }

    /** The inspection as the supervisor API returns it (raw JSON), or null if unknown. */
    fun inspectionJson(id: String): String? {
        val a = request("GET", "/api/v1/inspections/$id", null, login("supervisor"))
        return if (a.status == 200) a.body else null
    }
}

/** A JSON string literal. */
fun jsonString(s: String): String = buildString {
    append('"')
    for (c in s) {
        when (c) {
            '"' -> append("\\\"")
            '\\' -> append("\\\\")
            '\n' -> append("\\n")
            else -> if (c < ' ') append("\\u%04x".format(c.code)) else append(c)
        }
    }
    append('"')
}

/** The first string value of `"name": "..."` in a JSON text (enough for these tests). */
fun jsonField(json: String, name: String): String? =
    Regex(""""${Regex.escape(name)}"\s*:\s*"((?:[^"\\]|\\.)*)"""").find(json)?.groupValues?.get(1)
