// The resend SDK imports postal-mime only to parse *received* emails (its inbound API), which this
// Worker never uses. wrangler.toml aliases the import here to keep ~70 KiB out of the bundle; if a
// future SDK call ever reached it, it fails loudly instead of misbehaving.
const PostalMime = {
  parse(): never {
    throw new Error("postal-mime is not bundled: ORA Jobs does not parse received email");
  },
};
export default PostalMime;
