import Messages

/// One message of every type of the e-mail proto, the export jobs and cert-store's e-mail
/// requests, every field set (see Samples).
extension Samples {
    static let certificatesPendingEmailRequestsRequest = {
        var m = Certportal_Certificates_V1_PendingEmailRequestsRequest()
        m.limit = UInt32.max - 1
        return m
    }()

    static let certificatesEmailRequest = {
        var m = Certportal_Certificates_V1_EmailRequest()
        m.id = "id: Zoë 李雷 محمد 🎓"
        m.recordId = UInt64.max - 2
        m.version = UInt32.max - 3
        m.to = "to: Zoë 李雷 محمد 🎓"
        m.requestedBy = "requestedBy: Zoë 李雷 محمد 🎓"
        m.requestedAtMs = Int64.min + 6
        return m
    }()

    static let certificatesEmailRequestList = {
        var m = Certportal_Certificates_V1_EmailRequestList()
        m.requests = [certificatesEmailRequest, certificatesEmailRequest]
        return m
    }()

    static let certificatesHandOverEmailRequestsRequest = {
        var m = Certportal_Certificates_V1_HandOverEmailRequestsRequest()
        m.ids = ["ids: Zoë", "李雷 محمد 🎓"]
        return m
    }()

    static let certificatesHandOverEmailRequestsResponse = {
        var m = Certportal_Certificates_V1_HandOverEmailRequestsResponse()
        m.handedOver = UInt32.max - 1
        return m
    }()

    static let exportJob = {
        var m = Certportal_Export_V1_Job()
        m.jobId = "jobId: Zoë 李雷 محمد 🎓"
        m.kind = "kind: Zoë 李雷 محمد 🎓"
        m.state = "state: Zoë 李雷 محمد 🎓"
        m.filesDone = UInt64.max - 4
        m.filesTotal = UInt64.max - 5
        m.bytes = UInt64.max - 6
        m.skipped = UInt64.max - 7
        m.fileName = "fileName: Zoë 李雷 محمد 🎓"
        m.error = "error: Zoë 李雷 محمد 🎓"
        m.createdAtMs = Int64.min + 10
        m.finishedAtMs = Int64.min + 11
        m.expiresAtMs = Int64.min + 12
        return m
    }()

    static let exportJobRequest = {
        var m = Certportal_Export_V1_JobRequest()
        m.jobId = "jobId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportListJobsRequest = Certportal_Export_V1_ListJobsRequest()

    static let exportJobList = {
        var m = Certportal_Export_V1_JobList()
        m.jobs = [exportJob, exportJob]
        return m
    }()

    static let exportSendCertificatesRequest = {
        var m = Certportal_Export_V1_SendCertificatesRequest()
        m.recordIds = [1, UInt64.max, 0]
        m.to = "to: Zoë 李雷 محمد 🎓"
        m.template = "template: Zoë 李雷 محمد 🎓"
        m.requestKey = "requestKey: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportOutboxMessage = {
        var m = Certportal_Export_V1_OutboxMessage()
        m.id = UInt64.max - 1
        m.kind = "kind: Zoë 李雷 محمد 🎓"
        m.recordId = UInt64.max - 3
        m.version = UInt32.max - 4
        m.recipients = ["recipients: Zoë", "李雷 محمد 🎓"]
        m.subject = "subject: Zoë 李雷 محمد 🎓"
        m.state = "state: Zoë 李雷 محمد 🎓"
        m.attempts = UInt32.max - 8
        m.lastError = "lastError: Zoë 李雷 محمد 🎓"
        m.createdAtMs = Int64.min + 10
        m.nextAttemptAtMs = Int64.min + 11
        m.sentAtMs = Int64.min + 12
        m.requestedBy = "requestedBy: Zoë 李雷 محمد 🎓"
        m.serverReply = "serverReply: Zoë 李雷 محمد 🎓"
        m.messageId = "messageId: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportSkippedRecord = {
        var m = Certportal_Export_V1_SkippedRecord()
        m.recordId = UInt64.max - 1
        m.reason = "reason: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportSendCertificatesResponse = {
        var m = Certportal_Export_V1_SendCertificatesResponse()
        m.messages = [exportOutboxMessage, exportOutboxMessage]
        m.skipped = [exportSkippedRecord, exportSkippedRecord]
        return m
    }()

    static let exportListOutboxRequest = {
        var m = Certportal_Export_V1_ListOutboxRequest()
        m.state = "state: Zoë 李雷 محمد 🎓"
        m.ids = [1, UInt64.max, 0]
        m.recordId = UInt64.max - 3
        m.pageSize = UInt32.max - 4
        m.beforeId = UInt64.max - 5
        return m
    }()

    static let exportOutboxCounts = {
        var m = Certportal_Export_V1_OutboxCounts()
        m.queued = UInt64.max - 1
        m.sending = UInt64.max - 2
        m.sent = UInt64.max - 3
        m.failed = UInt64.max - 4
        m.cancelled = UInt64.max - 5
        return m
    }()

    static let exportOutboxPage = {
        var m = Certportal_Export_V1_OutboxPage()
        m.messages = [exportOutboxMessage, exportOutboxMessage]
        m.nextBeforeId = UInt64.max - 2
        m.counts = exportOutboxCounts
        return m
    }()

    static let exportOutboxMessageRequest = {
        var m = Certportal_Export_V1_OutboxMessageRequest()
        m.id = UInt64.max - 1
        return m
    }()

    static let exportEmailTemplate = {
        var m = Certportal_Export_V1_EmailTemplate()
        m.name = "name: Zoë 李雷 محمد 🎓"
        m.subject = "subject: Zoë 李雷 محمد 🎓"
        m.body = "body: Zoë 李雷 محمد 🎓"
        m.revision = UInt32.max - 4
        m.updatedAtMs = Int64.min + 5
        m.updatedBy = "updatedBy: Zoë 李雷 محمد 🎓"
        m.placeholders = ["placeholders: Zoë", "李雷 محمد 🎓"]
        return m
    }()

    static let exportListEmailTemplatesRequest = Certportal_Export_V1_ListEmailTemplatesRequest()

    static let exportEmailTemplateList = {
        var m = Certportal_Export_V1_EmailTemplateList()
        m.templates = [exportEmailTemplate, exportEmailTemplate]
        return m
    }()

    static let exportPutEmailTemplateRequest = {
        var m = Certportal_Export_V1_PutEmailTemplateRequest()
        m.template = exportEmailTemplate
        return m
    }()

    static let exportPreviewEmailRequest = {
        var m = Certportal_Export_V1_PreviewEmailRequest()
        m.template = exportEmailTemplate
        m.recordId = UInt64.max - 2
        return m
    }()

    static let exportEmailPreview = {
        var m = Certportal_Export_V1_EmailPreview()
        m.subject = "subject: Zoë 李雷 محمد 🎓"
        m.body = "body: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportRunRemindersRequest = {
        var m = Certportal_Export_V1_RunRemindersRequest()
        m.today = "today: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportRemindersReport = {
        var m = Certportal_Export_V1_RemindersReport()
        m.today = "today: Zoë 李雷 محمد 🎓"
        m.digests = UInt32.max - 2
        m.certificates = UInt32.max - 3
        m.alreadySent = UInt32.max - 4
        m.noAddress = UInt32.max - 5
        return m
    }()

    static let mailFieldless: Set<String> = [
        Certportal_Export_V1_ListJobsRequest.protoMessageName,
        Certportal_Export_V1_ListEmailTemplatesRequest.protoMessageName,
    ]

    static let mailMessages: [any ProtoMessage] = [
        certificatesPendingEmailRequestsRequest,
        certificatesEmailRequest,
        certificatesEmailRequestList,
        certificatesHandOverEmailRequestsRequest,
        certificatesHandOverEmailRequestsResponse,
        exportJob,
        exportJobRequest,
        exportListJobsRequest,
        exportJobList,
        exportSendCertificatesRequest,
        exportOutboxMessage,
        exportSkippedRecord,
        exportSendCertificatesResponse,
        exportListOutboxRequest,
        exportOutboxCounts,
        exportOutboxPage,
        exportOutboxMessageRequest,
        exportEmailTemplate,
        exportListEmailTemplatesRequest,
        exportEmailTemplateList,
        exportPutEmailTemplateRequest,
        exportPreviewEmailRequest,
        exportEmailPreview,
        exportRunRemindersRequest,
        exportRemindersReport,
    ]
}
