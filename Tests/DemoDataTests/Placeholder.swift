import Testing
@testable import DemoData

@Test func placeholderDemoData() {}
