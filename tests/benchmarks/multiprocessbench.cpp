// SPDX-License-Identifier: BSD-3-Clause
#include "multiprocessbench.h"

#include "livestorebench.h"

#include "todoschema.h"
#include "workload.h"

#include <livequerymodel.h>
#include <store.h>

#include <QtCore/qcoreapplication.h>
#include <QtCore/qeventloop.h>
#include <QtCore/qprocess.h>
#include <QtCore/qthread.h>
#include <QtCore/qtimer.h>

#include <functional>

using namespace Qt::StringLiterals;
using namespace LiveStore;

namespace Bench::Ours {

namespace {

constexpr int CommitIntervalMs = 10;

StoreOptions options(const QString &directory)
{
    StoreOptions o;
    o.storeId = u"bench"_s;
    o.schema = todoSchemaWithEdits();
    o.directory = directory;
    return o;
}

// steady_clock is CLOCK_MONOTONIC on Linux: one clock for every process of the machine.
qint64 nowNs()
{
    return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

// Commits edit number `n`: the text of a row of the model's page becomes the time it began.
bool commitStampedEdit(Store &store, const QStringList &ids, int n)
{
    const QString id = ids.at((n * 37) % ids.size());
    return store.commit(u"v1.TodoEdited"_s, QVariantMap{{u"id"_s, id}, {u"text"_s, QString(u"stamp:"_s + QString::number(nowNs()))}});
}

QStringList pageIds(Store &store)
{
    QStringList ids;
    for (const QVariantList &row : store.query(u"SELECT id FROM todos WHERE completed = 0 ORDER BY id LIMIT 100"_s).rows())
        ids.append(row.value(0).toString());
    return ids;
}

// The model of the page, and the latency of every stamp it shows (once each).
QJsonObject measure(const Context &context, const std::function<void(Store &, const std::function<void()> &done)> &drive)
{
    Store store;
    if (!store.open(options(context.workDir)))
        throw Error(u"cannot open the store: "_s + store.errorString());
    QList<Event> seed;
    for (const Workload::TodoEvent &e : Workload::seedEvents(context.sizes.seedTodos)) {
        const QString id = QString::fromStdString(e.id);
        seed.append(e.kind == Workload::TodoEvent::Created
                            ? Event{u"v1.TodoCreated"_s, {{u"id"_s, id}, {u"text"_s, QString::fromStdString(e.text)}}}
                            : Event{u"v1.TodoCompleted"_s, {{u"id"_s, id}}});
    }
    if (!store.commit(seed))
        throw Error(u"cannot seed the store: "_s + store.errorString());
    LiveQueryModel model(&store, Query::sql(QString::fromLatin1(Workload::ModelPageSql)));
    model.setKeyColumn(u"id"_s);
    const int textRole = model.roleNames().key("text");
    Samples samples;
    QSet<QString> seen;
    QObject::connect(&model, &QAbstractItemModel::dataChanged, [&](const QModelIndex &top, const QModelIndex &bottom) {
        const qint64 now = nowNs();
        for (int row = top.row(); row <= bottom.row(); ++row) {
            const QString text = model.data(model.index(row, 0), textRole).toString();
            if (!text.startsWith(u"stamp:"_s) || seen.contains(text))
                continue;
            seen.insert(text);
            samples.add(double(now - text.mid(6).toLongLong()) / 1000.0);
        }
    });
    QEventLoop loop;
    drive(store, [&] { loop.quit(); });
    loop.exec();
    QJsonObject result = samples.toJson();
    result.insert(u"max_ms"_s, samples.percentile(100) / 1000.0);
    result.insert(u"samples"_s, samples.size());
    return result;
}

int editCount(const Context &context)
{
    return context.sizes.modelUpdates / 4; // 250 edits, 10 ms apart: 2.5 s
}

} // namespace

QJsonObject otherProcess(const Context &context)
{
    const int count = editCount(context);
    QProcess writer;
    QString writerError;
    const QJsonObject result = measure(context, [&](Store &, const std::function<void()> &done) {
        writer.setProgram(QCoreApplication::applicationFilePath());
        writer.setArguments({u"--writer"_s, QString::number(count), u"--dir"_s, context.workDir});
        QObject::connect(&writer, &QProcess::finished, [&](int code) {
            if (code != 0)
                writerError = QString::fromUtf8(writer.readAllStandardError()).trimmed();
            // The last commit's notification: one more watch interval.
            QTimer::singleShot(100, done);
        });
        QObject::connect(&writer, &QProcess::errorOccurred, [&](QProcess::ProcessError) {
            writerError = writer.errorString();
            done();
        });
        writer.start();
    });
    if (!writerError.isEmpty())
        throw Error(u"the writer process failed: "_s + writerError);
    if (result.value(u"samples"_s).toInt() != count)
        throw Error(u"the model saw %1 of the writer's %2 edits"_s.arg(result.value(u"samples"_s).toInt()).arg(count));
    return result;
}

QJsonObject otherProcessLocal(const Context &context)
{
    const int count = editCount(context);
    QTimer timer;
    int n = 0;
    QString error;
    const QJsonObject result = measure(context, [&](Store &store, const std::function<void()> &done) {
        const QStringList ids = pageIds(store);
        timer.setInterval(CommitIntervalMs);
        QObject::connect(&timer, &QTimer::timeout, [&, ids, done] {
            if (n == count) {
                timer.stop();
                done();
            } else if (!commitStampedEdit(store, ids, n++)) {
                error = store.errorString();
                timer.stop();
                done();
            }
        });
        timer.start();
    });
    if (!error.isEmpty())
        throw Error(u"commit failed: "_s + error);
    return result;
}

int otherProcessWriter(const QString &directory, int count)
{
    Store store;
    if (!store.open(options(directory))) {
        std::fprintf(stderr, "%s\n", qPrintable(store.errorString()));
        return 1;
    }
    const QStringList ids = pageIds(store);
    if (ids.isEmpty()) {
        std::fprintf(stderr, "the store has no open todos\n");
        return 1;
    }
    for (int n = 0; n < count; ++n) {
        QThread::msleep(CommitIntervalMs);
        if (!commitStampedEdit(store, ids, n)) {
            std::fprintf(stderr, "%s\n", qPrintable(store.errorString()));
            return 1;
        }
    }
    return 0;
}

} // namespace Bench::Ours
