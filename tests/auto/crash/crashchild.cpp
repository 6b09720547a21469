// SPDX-License-Identifier: BSD-3-Clause
// The process tst_crash kills: opens a store and commits until killed, printing the head after
// every commit that returned, so the test knows what must have survived.
//
//   crashchild DIR SCHEMA SEED      SCHEMA: "base" or "wide" (a table change: opening rebuilds)
#include "todoschema.h"

#include <store.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qrandom.h>

#include <cstdio>

using namespace LiveStore;
using namespace Qt::StringLiterals;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fprintf(stderr, "usage: crashchild DIR base|wide SEED\n");
        return 2;
    }
    Schema schema = LiveStoreTest::todoSchema();
    if (args.at(2) == u"wide"_s)
        schema = LiveStoreTest::widerTodoSchema();
    StoreOptions options;
    options.storeId = u"crash"_s;
    options.schema = schema;
    options.directory = args.at(1);
    Store store;
    if (!store.open(options)) {
        std::fprintf(stderr, "open failed: %s\n", qPrintable(store.errorString()));
        return 1;
    }
    std::printf("open %s\n", qPrintable(store.head().toString()));
    std::fflush(stdout);
    QRandomGenerator rng(args.at(3).toUInt());
    qint64 next = store.eventCount();
    for (;;) {
        // Batches of 1 to 20 events over two tables, so a kill can land inside any of them.
        QList<Event> batch;
        const int size = rng.bounded(3) == 0 ? rng.bounded(1, 21) : 1;
        for (int i = 0; i < size; ++i) {
            const QString id = u"t%1"_s.arg(next++);
            batch.append({u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString(rng.bounded(10, 200), u'x')}}});
            if (rng.bounded(2))
                batch.append({u"v1.TodoCompleted"_s, {{u"id"_s, id}}});
            if (rng.bounded(4) == 0)
                batch.append({u"uiStateSet"_s, {{u"value"_s, QVariantMap{{u"newTodoText"_s, id}}}}});
        }
        if (!store.commit(batch)) {
            std::fprintf(stderr, "commit failed: %s\n", qPrintable(store.errorString()));
            return 1;
        }
        std::printf("head %s\n", qPrintable(store.head().toString()));
        std::fflush(stdout);
    }
}
