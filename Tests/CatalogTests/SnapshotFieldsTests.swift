import Testing
@testable import Catalog

/// The import encodes each record's snapshot by hand (`ImportCheck.snapshotFields`): it
/// must give exactly the generated encoder's bytes.
@Suite struct SnapshotFieldsTests {
    @Test func handEncodedSnapshotFieldsAreTheGeneratedEncodersBytes() {
        let layout = ImportColumn.allCases.enumerated().map { ($1, $0) }
        let rows: [[String]] = [
            ["BK-1", "ORG-A", "Acme, Ltd", "BKR-1", "Bea Booker", "bea@example.com", "C-1", "Brontë, Zoë",
             "zoe@example.com", "CRS-FA", "First Aid at Work", "36", "SCH-1", "2026-03-02T09:00", "2026-03-04T17:00:30", "pass", "125.50"],
            // Optional columns empty: validity 0, no e-mail, no result, paid.
            ["BK-2", "ORG-B", "李雷 محمد", "BKR-2", "Bo", "bo@example.com", "C-2", "Łukasz",
             "", "CRS-X", "Working at Height", "", "SCH-2", "2026-06-01T09:00:00", "2026-06-01T17:00", "", "0.00"],
            // Long values: lengths past one varint byte.
            ["BK-3", "ORG-" + String(repeating: "9", count: 96), String(repeating: "n", count: 300), "BKR-3", "B", "b@example.com",
             "C-3", String(repeating: "é", count: 150), "c@example.com", "CRS-L", "L", "600", "SCH-3",
             "1900-01-01T00:00", "2199-12-31T23:59", "FAIL", "000000000001.0001"],
        ]
        for (index, fields) in rows.enumerated() {
            var problems: [RowProblem] = []
            let row = ImportRow(line: index + 2, fields: fields, layout: layout, width: fields.count, problems: &problems)
            #expect(problems.isEmpty)
            #expect(ImportCheck.snapshotFields(of: row) == ImportCheck.generatedSnapshotFields(of: row))
        }
    }
}
