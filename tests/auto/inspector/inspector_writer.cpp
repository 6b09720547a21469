// SPDX-License-Identifier: BSD-3-Clause
// inspector_writer DIR COUNT INTERVAL_MS: another process writing a store the inspector test has
// open read-only. Commits COUNT v1.TodoCreated events (ids w1, w2, ...; every third one then
// completed in the same commit), one commit every INTERVAL_MS, then exits. Prints "ready" once
// the store is open and "done" at the end.
#include "todoschema.h"

#include <store.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qthread.h>

#include <cstdio>

using namespace Qt::StringLiterals;
using namespace LiveStore;
using LiveStoreTest::todoMvcSchema;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    if (args.size() != 4) {
        std::fprintf(stderr, "usage: inspector_writer DIR COUNT INTERVAL_MS\n");
        return 2;
    }
    StoreOptions options;
    options.storeId = u"todos"_s;
    options.schema = todoMvcSchema();
    options.directory = args.at(1);
    options.clientId = u"writer"_s;
    Store store;
    if (!store.open(options)) {
        std::fprintf(stderr, "inspector_writer: %s\n", qPrintable(store.errorString()));
        return 1;
    }
    std::printf("ready\n");
    std::fflush(stdout);
    const int count = args.at(2).toInt();
    const int interval = args.at(3).toInt();
    for (int i = 1; i <= count; ++i) {
        const QString id = u"w%1"_s.arg(i);
        QList<Event> events{{u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, u"from another process %1"_s.arg(i)}}}};
        if (i % 3 == 0)
            events.append({u"v1.TodoCompleted"_s, {{u"id"_s, id}}});
        if (!store.commit(events)) {
            std::fprintf(stderr, "inspector_writer: %s\n", qPrintable(store.errorString()));
            return 1;
        }
        QThread::msleep(interval);
    }
    std::printf("done\n");
    return 0;
}
