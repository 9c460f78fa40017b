(ns clj-wasi.impl.options
  "Every option of `load`, `load-wasi` and `run`, declared once in `table`: its spec,
  what it takes in words (for error messages), which functions take it, its line in
  their docstrings, and its command-line flags with how a flag's text becomes the
  value. Validation, the error messages, clj-wasi.specs' option specs, the docstrings'
  option lists and the command line's parser and usage text are all derived from the
  table; below it, the translation of the options into the Java core's builders. The
  flags themselves are declared in Java, cljwasi.cli.Flag, and each option's :cli rows
  come from there: the runner's Java entry point (cljwasi.cli.Main) reads a command line
  with them, without loading Clojure, exactly as the Clojure runner does."
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.files :as files]
            [clj-wasi.impl.io :as io]
            [clj-wasi.impl.values :as values]
            [clojure.java.io :as jio]
            [clojure.spec.alpha :as s]
            [clojure.string :as str])
  (:import (cljwasi Engine ModuleInstance$Builder)
           (cljwasi.cli CommandLine Flag UsageException)
           (cljwasi.engine.cache CompileCache)
           (cljwasi.wasi WasiClock WasiOptions WasiOptions$Builder)
           (java.io File InputStream OutputStream Reader Writer)
           (java.net InetSocketAddress)
           (java.nio.file FileSystem Path)
           (java.time Instant)
           (java.util Date)))

(set! *warn-on-reflection* true)

;; --- pieces the table's specs share ----------------------------------------------

(defn- callable? [x] (or (fn? x) (var? x)))

(defn- dir-like? [x] (or (string? x) (instance? File x) (instance? Path x)))

(s/def ::guest (s/and string? not-empty #(not (str/includes? % "\u0000"))))
(s/def ::host dir-like?)
(s/def ::read-only boolean?)
(s/def ::preopen (s/keys :req-un [::guest ::host] :opt-un [::read-only]))
(s/def ::output #(or (nil? %) (#{:capture :tee :discard :inherit} %) (instance? OutputStream %)
                     (instance? Writer %)))
(s/def ::fn callable?)
(s/def ::valtype values/valtypes)
(s/def ::params (s/coll-of ::valtype :kind sequential?))
(s/def ::results (s/coll-of ::valtype :kind sequential?))
(s/def ::instance? boolean?)
(s/def ::host-fn (s/or :map (s/and map? (s/keys :req-un [::fn] :opt-un [::params ::results ::instance?]))
                       :fn callable?))

(defn- port-in-range? [s]
  (when-let [[_ p] (re-matches #".+:(\d{1,5})" s)] (<= 0 (parse-long p) 65535)))

(defn- preopen-list
  "The :preopens option as a seq of {:guest :host :read-only}, whichever shape it has."
  [preopens]
  (if (map? preopens)
    (map (fn [[g h]] {:guest g :host h}) preopens)
    preopens))

;; --- the command line's conversions -----------------------------------------------

(defn usage-error
  "Throws the command line's own failure (exit 2, with a hint to --help): a flag whose
  text cannot become a value at all. A value of the wrong kind is left to the option's
  spec, like any caller's."
  [msg]
  (throw (ex-info msg {:type ::usage})))

(defn- cli
  "The command-line rows of option `k` (cljwasi.cli.Flag declares them): :flag, :arg
  (nil for a flag without a value) and :help."
  [k]
  (vec (for [^Flag f (Flag/of (name k))]
         {:flag (.flag f) :arg (.arg f) :help (.help f)})))

;; --- the table ----------------------------------------------------------------------
;;
;; One entry per option, in the order the docstrings list them:
;;   :key       the option's key
;;   :in        :load (load, load-wasi and run take it) or :wasi (load-wasi and run)
;;   :spec      its spec (clj-wasi.specs registers it as :clj-wasi.specs/<key>)
;;   :expected  what it takes, in words: error messages say "... is not <expected>"
;;   :problem   (optional) fn of a value the spec refuses -> why, in words, or nil
;;   :check     (optional) fn of [value options] -> nil, or [message data] for a value
;;              the spec accepts but that cannot be used (a missing directory)
;;   :doc       its description in the docstrings of the functions that take it
;;   :cli       its command-line flags, from cljwasi.cli.Flag (which says how each
;;              flag's text becomes the value): :flag, :arg (nil for a flag without a
;;              value), :help

(def table
  [{:key :imports :in :load
    :spec (s/map-of string? (s/map-of string? ::host-fn))
    :expected "a map of module name to a map of function name to a function or {:fn f :params [...] :results [...]}"
    :doc (str "{\"module\" {\"name\" f}}: Clojure functions for the module's imports. "
              "f gets the import's parameters as Clojure numbers and returns a number, nil or "
              "a vector. Instead of f, {:fn f :params [:i32 ...] :results [...] :instance? true} "
              "declares the signature (checked against the import) and/or passes the instance "
              "as first argument. Missing imports fail here with :wasm/missing-imports listing all.")}
   {:key :engine :in :load
    :spec (s/spec #{:auto :compiler :interpreter})
    :expected "one of :auto, :compiler, :interpreter"
    :doc (str ":auto (default: compiled to JVM bytecode, interpreter where the compiler "
              "refuses), :compiler or :interpreter.")
    :cli (cli :engine)}
   {:key :cache-dir :in :load
    :spec (s/spec #(or (false? %) (dir-like? %)))
    :expected "a directory (string, File or Path) for compiled classes, or false for none"
    :doc (str "where compiled classes are kept between runs (default: $XDG_CACHE_HOME/clj-wasi "
              "or ~/.cache/clj-wasi; false: nowhere), with a record that the module validated, "
              "so that its next load decodes each function only when it first runs. Entries "
              "are keyed by the module's hash and the engine version, checksummed, and rebuilt "
              "when corrupt.")
    :cli (cli :cache-dir)}
   {:key :max-memory-pages :in :load
    :spec (s/int-in 0 65537)
    :expected "an integer from 0 to 65536"
    :doc "cap on linear memory, in 64 KiB pages."
    :cli (cli :max-memory-pages)}
   {:key :timeout-ms :in :load
    :spec (s/spec pos-int?)
    :expected "a positive integer"
    :doc (str "each call is stopped after this long (:wasm/timeout) and the instance closed. "
              "Loading and compiling are not counted.")
    :cli (cli :timeout-ms)}
   {:key :args :in :wasi
    :spec (s/coll-of string? :kind sequential?)
    :expected "a vector of strings (argv after argv[0])"
    :doc (str "the arguments after argv[0], a vector of strings (argv[0] is the module's "
              "file name, or :argv0).")}
   {:key :argv0 :in :wasi
    :spec (s/spec string?)
    :expected "a string"
    :doc "the guest's argv[0] (default: the module's file name)."}
   {:key :env :in :wasi
    :spec (s/map-of (s/or :string string? :keyword keyword?) string?)
    :expected "a map of string (or keyword) names to string values"
    :doc "{\"NAME\" \"value\"}; nothing of the JVM's environment is passed."
    :cli (cli :env)}
   {:key :preopens :in :wasi
    :spec (s/or :map (s/map-of ::guest ::host)
                :seq (s/coll-of ::preopen :kind sequential?))
    :expected "a map of guest path to host directory, or a vector of {:guest :host :read-only}"
    ;; the one check of a preopen's directory, for the API and the command line alike
    :check (fn [v _]
             (when-let [{:keys [guest host]} (first (remove #(.isDirectory (jio/file (str (:host %))))
                                                            (preopen-list v)))]
               [(format "option :preopens: no such directory: %s (for the guest's %s)" host guest)
                {:path (str host) :expected "an existing host directory"}]))
    :doc (str "{\"/guest/path\" \"host/dir\"}, or a vector of {:guest :host :read-only} "
              "(in fd order). The guest can reach nothing outside these directories; under "
              ":read-only true every write fails.")
    :cli (cli :preopens)}
   {:key :stdin :in :wasi
    :spec (s/spec #(or (nil? %) (string? %) (bytes? %) (instance? InputStream %)
                       (instance? Reader %) (instance? File %) (= :inherit %)))
    :expected "nil, a string, bytes, an InputStream, a Reader, a File or :inherit"
    ;; checked here, not when the guest first reads: a missing file is the caller's
    ;; mistake, reported with the option and the path rather than as :wasm/io
    :check (fn [v _]
             (when (and (instance? File v) (not (and (.isFile ^File v) (.canRead ^File v))))
               [(format "option :stdin: %s is not a readable file" v)
                {:path (str v) :expected "a readable file"}]))
    :doc (str "nil (empty), a string, bytes, an InputStream or Reader (streamed as it "
              "arrives), a File, or :inherit.")}
   {:key :stdout :in :wasi
    :spec ::output
    :expected "nil (*out*), :capture, :tee, :discard, :inherit, an OutputStream or a Writer"
    :doc (str "nil (default: the caller's *out* at call time, so REPL and nREPL users see "
              "output), :capture (read with `captured`), :tee (both: shown on *out* as it is "
              "written, and kept for `captured`), :discard, :inherit (the process's own), "
              "an OutputStream, or a Writer.")}
   {:key :stderr :in :wasi
    :spec ::output
    :expected "nil (*err*), :capture, :tee, :discard, :inherit, an OutputStream or a Writer"
    :doc "as :stdout, for the guest's stderr (default: the caller's *err*)."}
   {:key :max-output-bytes :in :wasi
    :spec (s/spec nat-int?)
    :expected "a non-negative integer"
    :doc (str "stdout+stderr cap: the first write past it fails with ENOSPC (earlier output "
              "is kept); a guest that writes again after that is stopped with :wasm/limit, "
              ":limit :max-output-bytes.")
    :cli (cli :max-output-bytes)}
   {:key :clock :in :wasi
    :spec (s/spec #(or (instance? Instant %) (instance? Date %) (int? %) (callable? %)))
    :expected "an Instant, a Date, epoch nanoseconds, or a function returning epoch nanoseconds"
    :doc "a fixed Instant, Date or epoch nanos, or a function returning epoch nanos."}
   {:key :random :in :wasi
    :spec (s/spec int?)
    :expected "an integer seed"
    :doc "a seed: random_get becomes reproducible."}
   {:key :trace :in :wasi
    :spec (s/spec #(or (boolean? %) (callable? %)))
    :expected "true, false, or a function of one trace event"
    :doc (str "true (collect; read with `trace`) or a function of each WASI call's event "
              "{:fn \"path_open\" :args {...} :errno :success :nanos 1234}.")
    :cli (cli :trace)}
   {:key :listen :in :wasi
    :spec (s/coll-of (s/and string? port-in-range?) :kind sequential?)
    :expected "a vector of \"host:port\" strings (port 0 to 65535)"
    :doc "[\"127.0.0.1:0\"]: TCP listeners preopened as fds after the directories."
    :cli (cli :listen)}
   {:key :files :in :wasi
    :spec (s/and (s/map-of files/guest-path? files/content?) #(nil? (files/problem %)))
    :problem files/problem
    :expected "a map of absolute guest path (\"/data/in.txt\") to a string, bytes, {} (an empty directory) or {:symlink \"target\"}"
    :check (fn [v opts]
             (when-let [clash (first (filter (set (files/roots v))
                                             (map #(files/strip-slash (str (:guest %)))
                                                  (preopen-list (:preopens opts)))))]
               [(format "option :files: %s is also a guest path in :preopens" clash)
                {:expected "guest directories other than those of :preopens"}]))
    :doc (str "an in-memory tree, {\"/guest/path\" content}: content is a string (UTF-8), "
              "bytes, {} (an empty directory) or {:symlink \"target\"}. The first component "
              "of each path (\"/data\" of \"/data/in.txt\") is a directory preopened under "
              "that name, after those of :preopens (from which its names must differ), in "
              "sorted order; everything else is made beneath it. The guest reads, writes, "
              "renames, links and lists it like a host directory, within the same sandbox; "
              "nothing reaches the disk. The tree lives in memory (one Jimfs FileSystem per "
              "instance, released by `close`); its file times come from :clock when given. "
              "Read it back with `files` (`run` returns it under :files).")}
   {:key :files-as :in :wasi
    :spec (s/spec #{:string :bytes})
    :expected "one of :string, :bytes"
    :doc (str "how `files` and `run` return file contents: :string (default; UTF-8, "
              "malformed bytes become U+FFFD) or :bytes (byte arrays).")}])

(def by-key (into {} (map (juxt :key identity)) table))

(defn keys-of
  "The option keys taken by `load` (`in` :load) or by `load-wasi` and `run` (:wasi)."
  [in]
  (into #{} (comp (filter #(or (= :wasi in) (= :load (:in %)))) (map :key)) table))

;; --- validation ---------------------------------------------------------------------

(defn- bad [k v msg data]
  (errors/fail :bad-option msg (merge {:key k :value v :expected (:expected (by-key k))} data)))

(defn validate!
  "Returns `opts` when it is nil or a map whose every key is an option of `in` (see
  keys-of) with a valid, usable value; otherwise throws ex-info :wasm/bad-option
  naming the key, the value and what it takes."
  [opts in]
  (when-not (or (nil? opts) (map? opts))
    (errors/fail :bad-option (str "options must be a map, got " (pr-str opts))
                 {:value opts :expected "a map"}))
  (let [allowed (keys-of in)]
    (doseq [[k v] opts]
      (when-not (allowed k)
        (errors/fail :bad-option (format "unknown option %s; known options: %s" (pr-str k)
                                         (str/join " " (sort allowed)))
                     {:key k :value v :expected (str "one of " (pr-str (sort allowed)))}))
      (let [{:keys [spec expected problem]} (by-key k)]
        (when-not (s/valid? spec v)
          (bad k v (if-let [why (and problem (problem v))]
                     (format "option %s: %s; it takes %s" k why expected)
                     (format "option %s: %s is not %s" k (pr-str v) expected))
               {:problems (::s/problems (s/explain-data spec v))})))))
  (doseq [[k v] opts
          :let [check (:check (by-key k))]
          :when check]
    (when-let [[msg data] (check v opts)]
      (bad k v msg data)))
  opts)

;; --- the docstrings' option lists ---------------------------------------------------

(defn wrap
  "`text` as lines of at most `width` characters, broken at spaces."
  [text width]
  (reduce (fn [lines word]
            (let [l (peek lines)]
              (if (and l (<= (+ (count l) 1 (count word)) width))
                (conj (pop lines) (str l " " word))
                (conj lines word))))
          [] (str/split text #" ")))

(defn- doc-rows
  "The docstring rows of the options of `in` only (:load or :wasi), each key followed by
  its description, wrapped."
  [in]
  (let [entries (filter #(= in (:in %)) table)
        indent (+ 4 (apply max (map #(count (str (:key %))) entries)) 2)
        pad (apply str (repeat indent " "))]
    (str/join "\n" (for [{k :key doc :doc} entries
                         :let [[l & more] (wrap doc (- 88 indent))]]
                     (str/join "\n" (cons (str (subs (str "    " k pad) 0 indent) l)
                                          (map #(str pad %) more)))))))

(defn document
  "Docstring `doc` with its option placeholders filled in from the table, each on a
  line of its own: {{load options}} and {{wasi options}} become the rows of the
  options of `load` and of those `load-wasi` adds; {{option names}} every key."
  [doc]
  (-> doc
      (str/replace "    {{load options}}" (doc-rows :load))
      (str/replace "    {{wasi options}}" (doc-rows :wasi))
      (str/replace "    {{option names}}"
                   (str/join "\n" (map #(str "    " %)
                                       (wrap (str/join " " (map (comp str :key) table)) 84))))))

;; --- the command line -----------------------------------------------------------------

(defn cli-flags
  "Every command-line flag of the table, in its order, each with the :key of its option."
  []
  (for [{k :key flags :cli} table, f flags] (assoc f :key k)))

(defn- option-value
  "Option `k`'s value from the command line's plain Java value `v` (cljwasi.cli.Flag)."
  [k v]
  (case k
    :engine (keyword v)
    :preopens (mapv (fn [p] (into {} (map (fn [[pk pv]] [(keyword pk) pv])) p)) v)
    :env (into (array-map) v)
    :listen (vec v)
    :trace (fn [e] (binding [*out* *err*] (prn e)))
    v))

(defn parse-command-line
  "Command line `argv` read by cljwasi.cli.CommandLine, as {:help true} or {:opts {...}
  :module path-or-nil :args [...]}, the options as `load-wasi` takes them (but :invoke,
  the runner's own, a string). Throws ex-info of type ::usage for a flag that is unknown,
  lacks its value or whose text cannot become one."
  [argv]
  (let [^CommandLine cl (try (CommandLine/parse (vec argv))
                             (catch UsageException e (usage-error (ex-message e))))]
    (if (.help cl)
      {:help true}
      {:opts (into {} (map (fn [[k v]] (let [k (keyword k)] [k (option-value k v)])))
                   (.options cl))
       :module (.module cl)
       :args (vec (.args cl))})))

;; --- the options as the Java core takes them -----------------------------------------

(defmacro ^:private for-option
  "Runs body, which turns option `k` into what the Java core takes; an exception the
  host raises on its value (a path the OS rejects, an address it cannot resolve)
  becomes :wasm/bad-option naming `k`, with the host's exception as cause."
  [k v & body]
  `(try ~@body
        (catch clojure.lang.ExceptionInfo e# (throw e#))
        (catch RuntimeException e#
          (throw (ex-info (format "option %s: %s is not usable: %s" ~k (pr-str ~v) (or (ex-message e#) e#))
                          {:type :wasm/bad-option :key ~k :value ~v :expected (:expected (by-key ~k))}
                          e#)))))

(defn compile-cache
  "The CompileCache for :cache-dir (default: the user's cache folder; false: none)."
  ^CompileCache [d]
  (cond
    (false? d) nil
    (nil? d) (CompileCache. (CompileCache/defaultRoot))
    :else (for-option :cache-dir d (CompileCache. (.toPath (jio/file (str d)))))))

(defn configure-instance!
  "Sets `load`'s options (already validated) but :imports on ModuleInstance builder `b`;
  `cache` is (compile-cache (:cache-dir opts))."
  [^ModuleInstance$Builder b opts cache]
  (.engine b (case (:engine opts :auto)
               :auto Engine/AUTO
               :compiler Engine/COMPILER
               :interpreter Engine/INTERPRETER))
  (.compileCache b cache)
  (when-let [n (:max-memory-pages opts)] (.maxMemoryPages b (int n)))
  (when-let [ms (:timeout-ms opts)] (.timeoutMillis b (long ms)))
  b)

(defn- host-dir
  "A preopen's host directory (checked by validate!) as an absolute Path."
  ^Path [h]
  (.toAbsolutePath (.toPath (jio/file (str h)))))

(defn- clock ^WasiClock [c]
  (let [fixed (fn [^long nanos] (WasiClock/fixed nanos))]
    (cond
      (instance? Instant c) (let [^Instant i c]
                              (fixed (+ (* (.getEpochSecond i) 1000000000) (.getNano i))))
      (instance? Date c) (fixed (* (.getTime ^Date c) 1000000))
      (int? c) (fixed c)
      (callable? c) (let [origin (delay (long (c)))]
                (reify WasiClock
                  (realtimeNanos [_] (long (c)))
                  (monotonicNanos [_] (- (long (c)) (long @origin))))))))

(defn- listen-address ^InetSocketAddress [s]
  (let [i (str/last-index-of s ":")
        host (subs s 0 i)
        host (if (and (str/starts-with? host "[") (str/ends-with? host "]"))
               (subs host 1 (dec (count host)))
               host)]
    (InetSocketAddress. ^String host (Integer/parseInt (subs s (inc i))))))

(defn default-capture-bytes
  "The output cap when stdout or stderr is captured into memory and :max-output-bytes is
  not given: 64 MiB, or a sixteenth of the maximum heap when that is less (a capture
  buffer briefly needs twice its size while it grows, and its string as much again)."
  []
  (min (* 64 1024 1024) (quot (.maxMemory (Runtime/getRuntime)) 16)))

(defn wasi-options
  "WasiOptions for `opts` (already validated). `program` is argv[0] unless :argv0 is
  given; `tracer` is the WasiTracer or nil. Returns {:options WasiOptions :captures {...}
  :files {:fs FileSystem :roots [...] :files-as :string}}, :files nil without the :files
  option. The :files FileSystem (in memory, its directories preopened after those of
  :preopens) belongs to the caller, who closes it with the instance."
  [opts program tracer]
  (let [^WasiOptions$Builder b (WasiOptions/builder)
        out (io/output-supplier (:stdout opts) :stdout)
        err (io/output-supplier (:stderr opts) :stderr)]
    (.args b (into [(or (:argv0 opts) program)] (:args opts)))
    (doseq [[k v] (:env opts)] (.env b (if (keyword? k) (name k) k) v))
    (doseq [{:keys [guest host read-only]} (preopen-list (:preopens opts))]
      (for-option :preopens host (.preopen b guest (host-dir host) (boolean read-only))))
    (doseq [l (:listen opts)] (for-option :listen l (.listen b (listen-address l))))
    (.stdin b (io/input-supplier (:stdin opts))
            (boolean (and (= :inherit (:stdin opts)) (System/console))))
    (.stdout b (:supplier out) (boolean (:tty out)))
    (.stderr b (:supplier err) (boolean (:tty err)))
    (when-let [c (:clock opts)] (.clock b (clock c)))
    (when-let [seed (:random opts)] (.randomSeed b (long seed)))
    (when tracer (.tracer b tracer))
    (when-let [n (or (:max-output-bytes opts)
                     (when (or (:capture out) (:capture err)) (default-capture-bytes)))]
      (.maxOutputBytes b (long n)))
    (let [fs (when-let [fs-map (:files opts)]
               (let [^WasiClock c (some-> (:clock opts) clock)
                     ^FileSystem fs (files/file-system (when c #(.realtimeNanos c)))]
                 (try
                   (doseq [r (files/populate! fs fs-map)]
                     (.preopen b r (.getPath fs r (make-array String 0)) false))
                   fs
                   (catch Throwable t (.close fs) (throw t)))))]
      {:options (.build b)
       :files (when fs {:fs fs :roots (files/roots (:files opts)) :files-as (:files-as opts :string)})
       :captures (cond-> {}
                   (:capture out) (assoc :stdout (:capture out))
                   (:capture err) (assoc :stderr (:capture err)))})))

