@testable import CertificateFiles
import Testing

@Suite struct ContentStreamSyntaxTests {
    func problem(_ text: String) -> String? {
        ContentStreamSyntax.problem(in: Array(text.utf8))
    }

    @Test func acceptsWellFormedContent() {
        #expect(problem("") == nil)
        #expect(problem("BT /F1 24 Tf 72 720 Td [(a\\)b) -20 <41 42>] TJ ET") == nil)
        #expect(problem("/P << /MCID 0 /Alt (x) /A [true false null] >> BDC EMC") == nil)
        #expect(problem("BI /W 1 /H 1 ID EIEI\u{0} EI Q") == nil)
    }

    @Test func namesWhatIsWrongAndWhere() {
        #expect(problem("BT (open Tj ET") == "a string that is never closed (at byte 3)")
        #expect(problem("[1 2") == "an array that is never closed (at byte 0)")
        #expect(problem("q << /A 1") == "a dictionary that is never closed (at byte 2)")
        #expect(problem("<< /A >> BDC") == "a dictionary with a key but no value (at byte 0)")
        #expect(problem("Q ]") == "an array closed that was never opened (at byte 2)")
        #expect(problem("[ >>") == "a dictionary closed that was never opened (at byte 2)")
        #expect(problem("<4G>") == "a hex string with an invalid character (at byte 2)")
        #expect(problem("q } Q") == "an unexpected \"}\" (at byte 2)")
        #expect(problem("BI /W 1 ID xyz") == "an inline image that never ends (at byte 8)")
    }
}
