// SPDX-License-Identifier: BSD-3-Clause
// livestore-bench: figures for the library next to bare SQLite doing the same work.
//
// The parent process runs every scenario side (library, bare SQLite) in a fresh child process of
// this executable and prints one JSON line per scenario. Fresh processes keep the sides from
// warming each other's caches and make the peak RSS (a process-wide high-water mark) belong to one
// scenario side. Boot and rematerialize start from a big history that a third kind of child
// prepares once per run, so that writing it counts neither in their time nor in their RSS.
//
//     livestore-bench [--scenario NAME] [--dir PATH] [--quick]
//     livestore-bench --scenario NAME --side ours|raw --dir PATH   (a child: one side, one object)
//     livestore-bench --prepare ours|raw --dir PATH                (a child: writes a history)

#include "benchutil.h"
#include "guistallbench.h"
#include "importbench.h"
#include "livestorebench.h"
#include "multiprocessbench.h"
#include "rawsqlite.h"

#include <QtCore/qcommandlineparser.h>
#include <QtCore/qcoreapplication.h>
#include <QtCore/qdir.h>
#include <QtCore/qfile.h>
#include <QtCore/qjsonarray.h>
#include <QtCore/qjsondocument.h>
#include <QtCore/qloggingcategory.h>
#include <QtCore/qprocess.h>
#include <QtCore/qstorageinfo.h>
#include <QtCore/qtemporarydir.h>

#include <cmath>
#include <cstdio>

using namespace Qt::StringLiterals;
using namespace Bench;

namespace {

Q_LOGGING_CATEGORY(lcBench, "livestore.bench", QtInfoMsg)

using SideFunction = QJsonObject (*)(const Context &);

struct Scenario
{
    QString name;
    QString metric; // the main figure: "ratio" is ours/raw of it
    QString description;
    SideFunction ours;
    SideFunction raw;
    bool needsHistory = false;
    // What the second side is, as the line names it: bare SQLite doing the same work, or (where
    // there is no bare-SQLite equivalent) the library doing it another way.
    QString baseline = u"raw_sqlite"_s;
};

const QList<Scenario> &scenarios()
{
    static const QList<Scenario> all = {
        {u"commit-single"_s, u"events_per_s"_s, u"10,000 one-event commits (TodoCreated)"_s,
         Ours::commitSingle, Raw::commitSingle},
        {u"commit-batch"_s, u"events_per_s"_s, u"one commit of 10,000 events"_s,
         Ours::commitBatch, Raw::commitBatch},
        {u"latency"_s, u"median_us"_s,
         u"10,000 todos, two live queries; 1,000 commits: commit to both notifications"_s,
         Ours::latency, Raw::latency},
        {u"query-list100"_s, u"median_us"_s,
         u"completed = 0 AND text > ? ORDER BY text LIMIT 100 over 10,000 todos"_s,
         Ours::queryList100, Raw::queryList100},
        {u"query-5000"_s, u"median_us"_s, u"completed = 0: 5,000 of 10,000 todos"_s,
         Ours::query5000, Raw::query5000},
        {u"boot"_s, u"ms"_s, u"open a 100,000-event store and read the first query result"_s,
         Ours::boot, Raw::boot, true},
        {u"rematerialize"_s, u"events_per_s"_s,
         u"open a 100,000-event store after a table change: rebuild the state"_s,
         Ours::rematerialize, Raw::rematerialize, true},
        {u"durable-commit-single"_s, u"events_per_s"_s,
         u"2,000 one-event commits with Durability::PowerLoss (synchronous=FULL)"_s,
         Ours::durableCommitSingle, Raw::durableCommitSingle},
        {u"model-100"_s, u"median_us"_s,
         u"LiveQueryModel, 100 of 10,000 todos; 1,000 text edits, 1,000 toggles (toggle_*): "
          "commit to the model's last signal"_s,
         Ours::model100, Raw::model100},
        {u"model-10000"_s, u"median_us"_s,
         u"LiveQueryModel of all 10,000 todos; 1,000 text edits: commit to dataChanged"_s,
         Ours::model10000, Raw::model10000},
        {u"model-100000"_s, u"median_us"_s,
         u"the same over 100,000 todos (bare SQLite: 100 edits, each re-reading the table)"_s,
         Ours::model100k, Raw::model100k},
        {u"model-1000000"_s, u"median_us"_s,
         u"the same over 1,000,000 todos, the model bound as to a view (batchSize 1,000; bare "
          "SQLite: 10 edits, each re-reading the table); fetch_more_ms: one more batch"_s,
         Ours::model1m, Raw::model1m},
        {u"gui-stall-open"_s, u"max_gap_ms"_s,
         u"open a 1,000,000-event store after a table change while a 1 ms timer runs on the "
          "caller's thread: the longest gap between its ticks (bare SQLite: the replay on that thread)"_s,
         Ours::guiStallOpen, Raw::guiStallOpen},
        {u"gui-stall-catchup"_s, u"max_gap_ms"_s,
         u"a fresh store with a 10,000-row LiveQueryModel catches up with 100,000 events from a "
          "sync server while a 1 ms timer runs: the longest gap between its ticks (unsliced: "
          "every pulled page applied as it arrives)"_s,
         Ours::guiStallCatchUp, Ours::guiStallCatchUpUnsliced, false, u"unsliced"_s},
        {u"gui-stall-catchup-pending"_s, u"max_gap_ms"_s,
         u"the same with 1,000 local events committed before the client connects: every pulled "
          "page of the server's events rebases them"_s,
         Ours::guiStallCatchUpPending, Ours::guiStallCatchUpPendingUnsliced, false, u"unsliced"_s},
        {u"gui-stall-import"_s, u"max_gap_ms"_s,
         u"import an export of 1,000,000 events (Store::importFileAsync()) into an empty store "
          "with a bound model while a 1 ms timer runs: the longest gap between its ticks (bare "
          "SQLite: the import on that thread)"_s,
         Ours::guiStallImport, Raw::guiStallImport},
        {u"model-qml"_s, u"median_us"_s,
         u"model-100's edits through QML (Store, LiveQuery, a handler and a binding): commit "
          "to the binding's notify signal"_s,
         Ours::modelQml, Raw::modelQml},
        {u"import-10000"_s, u"events_per_s"_s,
         u"an export of 10,000 events (JSON lines) into an empty store (bare SQLite: a scanner "
          "that trusts the layout)"_s, Ours::import10k, Raw::import10k},
        {u"import-100000"_s, u"events_per_s"_s, u"the same with 100,000 events"_s,
         Ours::import100k, Raw::import100k},
        {u"import-1000000"_s, u"events_per_s"_s, u"the same with 1,000,000 events"_s,
         Ours::import1m, Raw::import1m},
        {u"other-process"_s, u"median_us"_s,
         u"model-100's page; another process of the store commits 250 text edits, 10 ms apart: "
          "its commit to this model's dataChanged (same_process: the edits committed here)"_s,
         Ours::otherProcess, Ours::otherProcessLocal, false, u"same_process"_s},
    };
    return all;
}

const Scenario *findScenario(const QString &name)
{
    for (const Scenario &s : scenarios()) {
        if (s.name == name)
            return &s;
    }
    return nullptr;
}

void printLine(const QByteArray &line)
{
    std::fputs(line.constData(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout); // a line as soon as its scenario is done, also through a pipe
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

// ---------------------------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------------------------

QStringList commonArguments(const QString &dir, bool quick)
{
    QStringList arguments{u"--dir"_s, dir};
    if (quick)
        arguments.append(u"--quick"_s);
    return arguments;
}

// Runs this executable with `arguments`; returns the JSON object of its last stdout line, or
// {"error": ...}. The child's stderr (Qt warnings) passes through.
QJsonObject runChild(const QStringList &arguments)
{
    QProcess child;
    child.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    child.start(QCoreApplication::applicationFilePath(), arguments);
    if (!child.waitForStarted(-1))
        return {{u"error"_s, QString(u"cannot start a child process: "_s + child.errorString())}};
    child.waitForFinished(-1);
    const QList<QByteArray> lines = child.readAllStandardOutput().trimmed().split('\n');
    const QJsonDocument doc = QJsonDocument::fromJson(lines.constLast());
    if (doc.isObject() && (child.exitStatus() == QProcess::NormalExit))
        return doc.object();
    return {{u"error"_s, u"the child %1 (exit code %2)"_s.arg(
                                 child.exitStatus() == QProcess::CrashExit ? u"crashed"_s : u"failed"_s)
                                 .arg(child.exitCode())}};
}

// The history fixture of a side, prepared by a child on first use and then shared by boot and
// rematerialize (they copy it).
QString historyFixture(const QString &baseDir, const QString &side, const Sizes &sizes, bool quick)
{
    const QString fixtures = QDir(baseDir).filePath(u"fixtures"_s);
    const QString name = (side == u"ours" ? u"store-%1"_s : u"raw-%1.db"_s).arg(sizes.bigStoreEvents);
    const QString path = QDir(fixtures).filePath(name);
    const QString done = path + u".done"_s; // written last: a half-written fixture is redone
    if (!QFile::exists(done)) {
        QDir(path).removeRecursively();
        QFile::remove(path);
        QFile::remove(path + u"-wal"_s);
        QDir().mkpath(fixtures);
        const QJsonObject result = runChild(QStringList{u"--prepare"_s, side} + commonArguments(path, quick));
        if (result.contains(u"error"_s))
            throw Error(u"cannot prepare the history: "_s + result.value(u"error"_s).toString());
        QFile marker(done);
        if (!marker.open(QIODevice::WriteOnly))
            throw Error(u"cannot write "_s + done);
    }
    return path;
}

int runPrepare(const QString &side, const QString &path, const Sizes &sizes)
{
    try {
        if (side == u"ours")
            Ours::prepareHistoryStore(path, sizes.bigStoreEvents);
        else
            Raw::prepareHistoryDatabase(path, sizes.bigStoreEvents);
        printLine(compact({{u"prepared"_s, path}}));
        return 0;
    } catch (const std::exception &e) {
        printLine(compact({{u"error"_s, QString::fromStdString(e.what())}}));
        return 1;
    }
}

// One side of one scenario, in this process: prints {figures..., "rss_mb": ...}.
int runSide(const Scenario &scenario, const QString &side, const QString &baseDir, bool quick)
{
    try {
        Context context;
        context.sizes = quick ? Sizes::quick() : Sizes::full();
        context.workDir = QDir(baseDir).filePath(scenario.name + u'-' + side);
        QDir(context.workDir).removeRecursively();
        if (!QDir().mkpath(context.workDir))
            throw Error(u"cannot create "_s + context.workDir);
        if (scenario.needsHistory)
            context.history = historyFixture(baseDir, side, context.sizes, quick);
        QJsonObject result = (side == u"ours" ? scenario.ours : scenario.raw)(context);
        result.insert(u"rss_mb"_s, peakRssMb());
        printLine(compact(result));
        return 0;
    } catch (const std::exception &e) {
        printLine(compact({{u"error"_s, QString::fromStdString(e.what())}}));
        return 1;
    }
}

// ---------------------------------------------------------------------------------------------
// The parent: one line per scenario
// ---------------------------------------------------------------------------------------------

// Rounded to what the figure can tell; fields in a fixed order, so lines compare by eye.
QByteArray formatNumber(const QString &key, double value)
{
    int decimals = 0;
    if (key == u"events_per_s")
        decimals = 0;
    else if (key.endsWith(u"_us"_s) || key == u"rss_mb")
        decimals = 1;
    else if (key == u"ms")
        decimals = 2;
    else if (key == u"ratio")
        decimals = 3;
    else if (value != std::floor(value))
        decimals = 3;
    return QByteArray::number(value, 'f', decimals);
}

QByteArray formatFields(const QJsonObject &object)
{
    static const QStringList order = {u"events_per_s"_s, u"median_us"_s, u"p99_us"_s, u"ms"_s,
                                      u"rss_mb"_s};
    QStringList keys = order;
    keys.removeIf([&](const QString &k) { return !object.contains(k); });
    for (const QString &k : object.keys()) { // the rest (rows, events, error...) alphabetically
        if (!order.contains(k))
            keys.append(k);
    }
    QByteArrayList fields;
    for (const QString &k : std::as_const(keys)) {
        const QJsonValue v = object.value(k);
        fields.append('"' + k.toUtf8() + "\": "
                      + (v.isDouble() ? formatNumber(k, v.toDouble())
                                      : QJsonDocument(QJsonArray{v}).toJson(QJsonDocument::Compact).mid(1).chopped(1)));
    }
    return fields.join(", ");
}

QByteArray scenarioLine(const Scenario &scenario, const QJsonObject &ours, const QJsonObject &raw)
{
    QByteArray line = "{\"scenario\": \"" + scenario.name.toUtf8() + '"';
    if (!ours.isEmpty())
        line += ", " + formatFields(ours);
    line += ", \"" + scenario.baseline.toUtf8() + "\": {" + formatFields(raw) + '}';
    const double a = ours.value(scenario.metric).toDouble();
    const double b = raw.value(scenario.metric).toDouble();
    if (a > 0 && b > 0)
        line += ", \"ratio\": " + formatNumber(u"ratio"_s, a / b) + ", \"ratio_of\": \""
                + scenario.metric.toUtf8() + '"';
    return line + '}';
}

int runAll(const QList<const Scenario *> &selected, const QString &baseDir, bool quick)
{
    const QStorageInfo storage(baseDir);
    std::fprintf(stderr, "livestore-bench: %s sizes in %s (%s on %s)\n", quick ? "quick" : "full",
                 qUtf8Printable(QDir::toNativeSeparators(baseDir)),
                 storage.fileSystemType().constData(), storage.device().constData());
    if (storage.fileSystemType() == "tmpfs")
        std::fprintf(stderr, "livestore-bench: warning: tmpfs does not sync; the durable figures "
                             "mean nothing here (use --dir on a disk)\n");
    bool failed = false;
    for (const Scenario *scenario : selected) {
        QJsonObject sides[2];
        int i = 0;
        for (const QString &side : {u"ours"_s, u"raw"_s}) {
            sides[i++] = runChild(QStringList{u"--scenario"_s, scenario->name, u"--side"_s, side}
                                  + commonArguments(baseDir, quick));
        }
        failed = failed || sides[0].contains(u"error"_s) || sides[1].contains(u"error"_s);
        printLine(scenarioLine(*scenario, sides[0], sides[1]));
    }
    return failed ? 1 : 0;
}

QString helpText()
{
    QString text = u"\nScenarios (each runs the library side, then bare SQLite doing the same work; "
                   "one JSON line each):\n"_s;
    for (const Scenario &s : scenarios())
        text += u"  %1  %2 [ratio of %3]\n"_s.arg(s.name, -22).arg(s.description, s.metric);
    text += u"\n--quick divides every size by ten. Timings are figures, not assertions."_s;
    return text;
}

} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"livestore-bench"_s);
    // Qt reads its logging rules (qt.conf, qtlogging.ini and the environment) when the process
    // first uses a logging category. A GUI application has done so in QGuiApplication's
    // constructor, before it opens a store; this process would do it inside whichever scenario
    // logs first (0.25-0.3 ms of `boot`, docs/performance.md). So it happens here, for every side.
    lcBench().isDebugEnabled();

    QCommandLineParser parser;
    parser.setApplicationDescription(
            u"Measures LiveStore for Qt next to bare SQLite: commit throughput, commit-to-notification "
             "latency, query time, boot, rematerialization, peak RSS."_s + helpText());
    parser.addHelpOption();
    const QCommandLineOption scenarioOption(u"scenario"_s, u"Run only scenario <name>."_s, u"name"_s);
    const QCommandLineOption dirOption(
            u"dir"_s, u"Run in <path> (kept; default: a temporary directory that is removed)."_s,
            u"path"_s);
    const QCommandLineOption quickOption(u"quick"_s, u"Sizes divided by ten (a smoke run)."_s);
    QCommandLineOption sideOption(u"side"_s, u"Internal: run one side in this process."_s, u"ours|raw"_s);
    QCommandLineOption prepareOption(u"prepare"_s, u"Internal: write a history fixture."_s, u"ours|raw"_s);
    QCommandLineOption writerOption(u"writer"_s, u"Internal: other-process's writer."_s, u"count"_s);
    sideOption.setFlags(QCommandLineOption::HiddenFromHelp);
    prepareOption.setFlags(QCommandLineOption::HiddenFromHelp);
    writerOption.setFlags(QCommandLineOption::HiddenFromHelp);
    parser.addOptions({scenarioOption, dirOption, quickOption, sideOption, prepareOption, writerOption});
    parser.process(app);
    if (parser.isSet(writerOption))
        return Ours::otherProcessWriter(parser.value(dirOption), parser.value(writerOption).toInt());

    const bool quick = parser.isSet(quickOption);
    auto badUsage = [](const QString &message) {
        std::fprintf(stderr, "livestore-bench: %s\n", qUtf8Printable(message));
        return 2;
    };
    for (const QCommandLineOption &o : {sideOption, prepareOption}) {
        const QString side = parser.value(o);
        if (parser.isSet(o) && side != u"ours" && side != u"raw")
            return badUsage(u"--%1 takes ours or raw"_s.arg(o.names().constFirst()));
        if (parser.isSet(o) && !parser.isSet(dirOption))
            return badUsage(u"--%1 needs --dir"_s.arg(o.names().constFirst()));
    }

    if (parser.isSet(prepareOption))
        return runPrepare(parser.value(prepareOption), parser.value(dirOption),
                          quick ? Sizes::quick() : Sizes::full());

    QList<const Scenario *> selected;
    if (parser.isSet(scenarioOption)) {
        const Scenario *s = findScenario(parser.value(scenarioOption));
        if (!s)
            return badUsage(u"no scenario \"%1\" (see --help)"_s.arg(parser.value(scenarioOption)));
        selected.append(s);
    } else {
        for (const Scenario &s : scenarios())
            selected.append(&s);
    }

    if (parser.isSet(sideOption)) {
        if (selected.size() != 1)
            return badUsage(u"--side needs --scenario"_s);
        return runSide(*selected.constFirst(), parser.value(sideOption), parser.value(dirOption), quick);
    }

    QTemporaryDir temporary;
    QString baseDir = parser.value(dirOption);
    if (baseDir.isEmpty()) {
        if (!temporary.isValid())
            return badUsage(u"cannot create a temporary directory: "_s + temporary.errorString());
        baseDir = temporary.path();
    } else if (!QDir().mkpath(baseDir)) {
        return badUsage(u"cannot create "_s + baseDir);
    }
    return runAll(selected, QDir(baseDir).absolutePath(), quick);
}
