// The MTA-STS policy cache (RFC 8461 §5.1), in the mta_sts_policies table of
// migration v10.
#include "store/detail/try.hpp"
#include "store/sql/sql_store.hpp"

namespace letterhead::store::sql {

core::result<mta_sts_record> sql_store::get_mta_sts(std::string_view domain) {
  return read([&](connection& db) -> core::result<mta_sts_record> {
    STORE_TRY_ASSIGN(auto st, db.query("SELECT domain, id, policy, fetched, expires FROM mta_sts_policies"
                                       " WHERE domain = ?",
                                       domain));
    STORE_TRY_ASSIGN(bool row, st.step());
    if (!row) return core::fail(core::errc::not_found, "no MTA-STS policy cached");
    return mta_sts_record{st.text(0), st.text(1), st.text(2), st.i64(3), st.i64(4)};
  });
}

core::result<void> sql_store::put_mta_sts(const mta_sts_record& r) {
  return write([&](write_context& ctx) {
    return ctx.db.run("INSERT INTO mta_sts_policies (domain, id, policy, fetched, expires) VALUES (?, ?, ?, ?, ?)"
                      " ON CONFLICT (domain) DO UPDATE SET id = excluded.id, policy = excluded.policy,"
                      " fetched = excluded.fetched, expires = excluded.expires",
                      r.domain, r.id, r.policy, r.fetched, r.expires);
  });
}

}  // namespace letterhead::store::sql
