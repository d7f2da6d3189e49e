/// Every list on the wire — each API list and each CLI `--json` list — is a page:
/// `{"data": […], "has_more": bool}`. A list that is never cut (the catalog's plans, a customer's
/// grants) is one page with `has_more: false`. Keys are spelled by `WireJSON`'s snake_case
/// strategy, like every other wire type's.
extension Page: Encodable where Item: Encodable {
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: PageCodingKeys.self)
        try container.encode(items, forKey: .data)
        try container.encode(hasMore, forKey: .hasMore)
    }
}

extension Page: Decodable where Item: Decodable {
    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: PageCodingKeys.self)
        self.init(items: try container.decode([Item].self, forKey: .data), hasMore: try container.decode(Bool.self, forKey: .hasMore))
    }
}

private enum PageCodingKeys: String, CodingKey {
    case data
    case hasMore
}

extension Page {
    /// All of a list that is never cut, as one page.
    package init(all items: [Item]) {
        self.init(items: items, hasMore: false)
    }
}
