internal import CCurl
internal import Foundation
internal import Synchronization

/// curl_global_init, once per process, before the first handle (it is not thread-safe itself).
private let curlGlobalStatus: CURLcode = curl_global_init(ccurl_global_default())

/// One message's way to the server: a curl easy handle used from start to end on the
/// calling thread, ``SMTPClient``'s.
///
/// Sendable only for `cancel()`, which may come from any thread; it works on `connection`, a
/// Mutex. Everything else (`offset`, `replies`) is touched only by `perform()` and the
/// callbacks curl makes from inside it, on one thread.
final class SMTPDelivery: @unchecked Sendable {
    let settings: SMTPSettings
    let from: String
    let recipients: [String]
    let bytes: [UInt8]
    fileprivate var offset = 0
    /// The server's reply lines, CRLF dropped, as curl hands them to the header callback.
    fileprivate var replies: [String] = []

    /// curl's sockets, opened and closed through callbacks so that `cancel()` can shut them
    /// down: curl waits for a reply (the final one, or QUIT's) without calling back, and a
    /// shut-down socket ends that wait at once. Closing under the same lock means `cancel()`
    /// never touches a descriptor number already reused.
    fileprivate struct Connection {
        var sockets: Set<Int32> = []
        var cancelled = false
    }
    fileprivate let connection = Mutex(Connection())

    init(settings: SMTPSettings, from: String, recipients: [String], bytes: [UInt8]) {
        self.settings = settings
        self.from = from
        self.recipients = recipients
        self.bytes = bytes
    }

    func cancel() {
        connection.withLock { connection in
            connection.cancelled = true
            for socket in connection.sockets { _ = shutdown(socket, Int32(SHUT_RDWR)) }
        }
    }

    fileprivate var isCancelled: Bool { connection.withLock { $0.cancelled } }

    /// Delivers the message, blocking this thread; the final reply or why it failed.
    func perform() -> Result<String, MailError> {
        if isCancelled { return .failure(MailError(.transient, "cancelled before sending")) }
        guard curlGlobalStatus == CURLE_OK else { return .failure(MailError(.transient, "curl_global_init failed")) }
        guard let handle = curl_easy_init() else { return .failure(MailError(.transient, "curl_easy_init failed")) }
        defer { curl_easy_cleanup(handle) }
        var recipientList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(recipientList) }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: ccurl_error_size())
        errorBuffer.initialize(repeating: 0, count: ccurl_error_size())
        defer { errorBuffer.deallocate() }

        let context = Unmanaged.passUnretained(self).toOpaque()
        var setup = CURLE_OK
        func set(_ status: CURLcode) { if setup == CURLE_OK { setup = status } }

        let scheme = settings.security == .tls ? "smtps" : "smtp"
        set(ccurl_setopt_string(handle, CURLOPT_URL, "\(scheme)://\(settings.host):\(settings.port)/\(settings.heloName ?? "")"))
        set(ccurl_setopt_string(handle, CURLOPT_PROTOCOLS_STR, "smtp,smtps"))
        set(ccurl_setopt_long(handle, CURLOPT_USE_SSL, Int(settings.security == .none ? CURLUSESSL_NONE.rawValue : CURLUSESSL_ALL.rawValue)))
        if let username = settings.username { set(ccurl_setopt_string(handle, CURLOPT_USERNAME, username)) }
        if let password = settings.password { set(ccurl_setopt_string(handle, CURLOPT_PASSWORD, password)) }
        if let caFile = settings.caFile {
            set(ccurl_setopt_string(handle, CURLOPT_CAINFO, caFile))
            // CAINFO replaces the built-in bundle; the built-in directory keeps the system's CAs.
            var defaultPath: UnsafeMutablePointer<CChar>?
            if ccurl_getinfo_string(handle, CURLINFO_CAPATH, &defaultPath) == CURLE_OK, let defaultPath {
                set(ccurl_setopt_string(handle, CURLOPT_CAPATH, defaultPath))
            }
        }
        if !settings.verifyPeer {
            set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYPEER, 0))
            set(ccurl_setopt_long(handle, CURLOPT_SSL_VERIFYHOST, 0))
        }
        let milliseconds = Int(settings.timeout.components.seconds * 1000 + settings.timeout.components.attoseconds / 1_000_000_000_000_000)
        set(ccurl_setopt_long(handle, CURLOPT_TIMEOUT_MS, max(1, milliseconds)))
        set(ccurl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, max(1, milliseconds)))
        // Also bounds the wait for QUIT's reply when the connection is closed (120 s by default).
        set(ccurl_setopt_long(handle, CURLOPT_SERVER_RESPONSE_TIMEOUT, max(1, (milliseconds + 999) / 1000)))
        // No SIGALRM for timeouts: signals and threads do not mix.
        set(ccurl_setopt_long(handle, CURLOPT_NOSIGNAL, 1))
        set(ccurl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer))

        set(ccurl_setopt_string(handle, CURLOPT_MAIL_FROM, "<\(from)>"))
        for recipient in recipients { recipientList = curl_slist_append(recipientList, "<\(recipient)>") }
        set(ccurl_setopt_slist(handle, CURLOPT_MAIL_RCPT, recipientList))
        set(ccurl_setopt_long(handle, CURLOPT_UPLOAD, 1))
        set(ccurl_setopt_off_t(handle, CURLOPT_INFILESIZE_LARGE, curl_off_t(bytes.count)))
        set(ccurl_setopt_data_callback(handle, CURLOPT_READFUNCTION, readMessage))
        set(ccurl_setopt_pointer(handle, CURLOPT_READDATA, context))
        set(ccurl_setopt_data_callback(handle, CURLOPT_HEADERFUNCTION, readReply))
        set(ccurl_setopt_pointer(handle, CURLOPT_HEADERDATA, context))
        set(ccurl_setopt_long(handle, CURLOPT_NOPROGRESS, 0))
        set(ccurl_setopt_xferinfo_callback(handle, checkCancelled))
        set(ccurl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context))
        set(ccurl_setopt_opensocket_callback(handle, openSocket))
        set(ccurl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, context))
        set(ccurl_setopt_closesocket_callback(handle, closeSocket))
        set(ccurl_setopt_pointer(handle, CURLOPT_CLOSESOCKETDATA, context))
        guard setup == CURLE_OK else {
            return .failure(MailError(.invalid, "curl refused an option: \(String(cString: curl_easy_strerror(setup)))"))
        }

        let status = withExtendedLifetime(self) { curl_easy_perform(handle) }
        var code = 0
        _ = ccurl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
        // The reply that carried the code (curl may have sent QUIT since, and got "221 Bye").
        let lastReply = replies.last { $0.hasPrefix("\(code) ") || $0 == "\(code)" } ?? replies.last
        if status == CURLE_OK { return .success(lastReply ?? "\(code)") }
        let curlSays = errorBuffer.pointee != 0 ? String(cString: errorBuffer) : String(cString: curl_easy_strerror(status))
        return .failure(Self.classify(status, responseCode: code, curlSays: curlSays, lastReply: lastReply, cancelled: isCancelled))
    }

    fileprivate func open(_ address: curl_sockaddr) -> curl_socket_t {
        connection.withLock { connection in
            if connection.cancelled { return -1 }
            let socket = Glibc.socket(address.family, address.socktype | Int32(SOCK_CLOEXEC.rawValue), address.protocol)
            if socket >= 0 { connection.sockets.insert(socket) }
            return socket
        }
    }

    fileprivate func close(_ socket: curl_socket_t) -> Int32 {
        connection.withLock { connection in
            connection.sockets.remove(socket)
            return Glibc.close(socket)
        }
    }

    /// 5xx and refused credentials are permanent; 4xx, and everything curl reports about the
    /// network, TLS and timeouts, transient.
    static func classify(_ status: CURLcode, responseCode: Int, curlSays: String, lastReply: String?, cancelled: Bool) -> MailError {
        let code = responseCode > 0 ? responseCode : nil
        if cancelled {
            return MailError(.transient, "cancelled during delivery (\(curlSays))", responseCode: code)
        }
        // A refusal reads best in the server's words; curl's say at which step.
        let message = responseCode >= 400 ? lastReply.map { "the server replied \"\($0)\" (\(curlSays))" } ?? curlSays : curlSays
        switch responseCode {
        case 500...599: return MailError(.permanent, message, responseCode: code)
        case 400...499: return MailError(.transient, message, responseCode: code)
        default: break
        }
        if status == CURLE_LOGIN_DENIED { return MailError(.permanent, message, responseCode: code) }
        return MailError(.transient, message, responseCode: code)
    }
}

// curl's callbacks: plain global functions (C function pointers), `context` the delivery.

private func readMessage(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return ccurl_read_abort() }
    let delivery = Unmanaged<SMTPDelivery>.fromOpaque(context).takeUnretainedValue()
    if delivery.isCancelled { return ccurl_read_abort() }
    let length = min(size * count, delivery.bytes.count - delivery.offset)
    delivery.bytes.withUnsafeBytes { raw in
        UnsafeMutableRawPointer(buffer).copyMemory(from: raw.baseAddress! + delivery.offset, byteCount: length)
    }
    delivery.offset += length
    return length
}

private func readReply(_ buffer: UnsafeMutablePointer<CChar>?, _ size: Int, _ count: Int, _ context: UnsafeMutableRawPointer?) -> Int {
    guard let buffer, let context else { return 0 }
    let delivery = Unmanaged<SMTPDelivery>.fromOpaque(context).takeUnretainedValue()
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: size * count), as: UTF8.self)
    delivery.replies.append(line.trimmingCharacters(in: .newlines))
    if delivery.replies.count > 64 { delivery.replies.removeFirst(32) }
    return size * count
}

private func checkCancelled(_ context: UnsafeMutableRawPointer?, _ downloadTotal: curl_off_t, _ downloaded: curl_off_t,
                            _ uploadTotal: curl_off_t, _ uploaded: curl_off_t) -> Int32 {
    guard let context else { return 0 }
    return Unmanaged<SMTPDelivery>.fromOpaque(context).takeUnretainedValue().isCancelled ? 1 : 0
}

private func openSocket(_ context: UnsafeMutableRawPointer?, _ purpose: curlsocktype, _ address: UnsafeMutablePointer<curl_sockaddr>?) -> curl_socket_t {
    guard let context, let address else { return -1 }
    return Unmanaged<SMTPDelivery>.fromOpaque(context).takeUnretainedValue().open(address.pointee)
}

private func closeSocket(_ context: UnsafeMutableRawPointer?, _ socket: curl_socket_t) -> Int32 {
    guard let context else { return Glibc.close(socket) }
    return Unmanaged<SMTPDelivery>.fromOpaque(context).takeUnretainedValue().close(socket)
}
