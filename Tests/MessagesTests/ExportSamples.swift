import Messages

/// One message of every type of the export proto, every field set (see Samples).
extension Samples {
    static let exportCSVRequest = {
        var m = Certportal_Export_V1_CSVRequest()
        m.filter = statsRecordFilter
        m.sort = "sort: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportMatrixCSVRequest = {
        var m = Certportal_Export_V1_MatrixCSVRequest()
        m.organisationId = "organisationId: Zoë 李雷 محمد 🎓"
        m.minCatalogSeq = UInt64.max
        m.minCertificateSeq = UInt64.max - 1
        return m
    }()

    static let exportZIPRequest = {
        var m = Certportal_Export_V1_ZIPRequest()
        m.recordIds = [1, UInt64.max, 0]
        m.filter = statsRecordFilter
        m.allVersions = true
        return m
    }()

    static let exportExportHeader = {
        var m = Certportal_Export_V1_ExportHeader()
        m.fileName = "fileName: Zoë 李雷 محمد 🎓.zip"
        m.mediaType = "mediaType: Zoë 李雷 محمد 🎓"
        m.totalRows = UInt64.max
        return m
    }()

    static let exportExportProgress = {
        var m = Certportal_Export_V1_ExportProgress()
        m.rows = UInt64.max
        m.files = UInt64.max - 1
        m.bytes = 1 << 40
        m.skipped = 7
        return m
    }()

    static let exportExportSkipped = {
        var m = Certportal_Export_V1_ExportSkipped()
        m.recordId = UInt64.max
        m.reason = "reason: Zoë 李雷 محمد 🎓"
        return m
    }()

    static let exportExportChunk = {
        var m = Certportal_Export_V1_ExportChunk()
        m.part = .progress(exportExportProgress)
        return m
    }()

    static let exportMessages: [any ProtoMessage] = [
        exportCSVRequest,
        exportMatrixCSVRequest,
        exportZIPRequest,
        exportExportHeader,
        exportExportProgress,
        exportExportSkipped,
        exportExportChunk,
    ]
}
