// Uses the installed headers the way the docs show (<LiveStore/...>, Qt-style and file names),
// opens a store, commits, reads through a live query and a model, and checks what it got.
#include <LiveStore/LiveQueryModel>
#include <LiveStore/Store>
#include <LiveStore/eventchain.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qtemporarydir.h>

#include <cstdio>

using namespace LiveStore;
using namespace Qt::StringLiterals;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    Schema schema;
    schema.addTable(TableDef{u"notes"_s}.column(ColumnDef::text(u"id"_s).primaryKey()));
    schema.addEvent(EventDef::synced(u"v1.NoteAdded"_s)
                            .arg(u"id"_s, ArgType::String)
                            .materializeSql({u"INSERT INTO notes (id) VALUES ($id)"_s}));
    QTemporaryDir dir;
    StoreOptions options;
    options.storeId = u"notes"_s;
    options.schema = schema;
    options.directory = dir.path();
    Store store;
    if (!store.open(options)) {
        std::fprintf(stderr, "open failed: %s\n", qPrintable(store.errorString()));
        return 1;
    }
    LiveQueryModel model(&store, Query::from(u"notes"_s));
    int seen = -1;
    const Subscription sub = store.subscribe(Query::from(u"notes"_s).count(),
                                             [&](const QueryResult &r) { seen = r.scalar().toInt(); });
    if (!store.commit(u"v1.NoteAdded"_s, {{u"id"_s, u"a"_s}}) || seen != 1 || model.rowCount() != 1) {
        std::fprintf(stderr, "commit or reads failed: %s (seen %d, rows %d)\n", qPrintable(store.errorString()),
                     seen, model.rowCount());
        return 1;
    }
    if (!store.verify()) {
        std::fprintf(stderr, "verify failed: %s\n", qPrintable(store.errorString()));
        return 1;
    }
    std::printf("installed C++ app: OK\n");
    return 0;
}
