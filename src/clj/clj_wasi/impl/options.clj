(ns clj-wasi.impl.options
  "The options maps of `load`, `load-wasi` and `run`: their specs, their validation
  (a bad map names the key, the value and what was expected), and their translation
  into the Java core's WasiOptions."
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.files :as files]
            [clj-wasi.impl.io :as io]
            [clojure.java.io :as jio]
            [clojure.spec.alpha :as s]
            [clojure.string :as str])
  (:import (cljwasi Engine)
           (cljwasi.engine.cache CompileCache)
           (cljwasi.wasi WasiClock WasiOptions WasiOptions$Builder)
           (java.io File InputStream OutputStream Reader Writer)
           (java.net InetSocketAddress)
           (java.nio.file FileSystem Path)
           (java.time Instant)
           (java.util Date)))

(set! *warn-on-reflection* true)

(defn- callable? [x] (or (fn? x) (var? x)))

(defn- dir-like? [x] (or (string? x) (instance? File x) (instance? Path x)))

(s/def ::args (s/coll-of string? :kind sequential?))
(s/def ::argv0 string?)
(s/def ::env (s/map-of (s/or :string string? :keyword keyword?) string?))
(s/def ::guest (s/and string? not-empty #(not (str/includes? % "\u0000"))))
(s/def ::host dir-like?)
(s/def ::read-only boolean?)
(s/def ::preopen (s/keys :req-un [::guest ::host] :opt-un [::read-only]))
(s/def ::preopens (s/or :map (s/map-of ::guest ::host)
                        :seq (s/coll-of ::preopen :kind sequential?)))
(s/def ::stdin #(or (nil? %) (string? %) (bytes? %) (instance? InputStream %)
                    (instance? Reader %) (instance? File %) (= :inherit %)))
(s/def ::output #(or (nil? %) (#{:capture :tee :discard :inherit} %) (instance? OutputStream %)
                     (instance? Writer %)))
(s/def ::stdout ::output)
(s/def ::stderr ::output)
(s/def ::engine #{:auto :compiler :interpreter})
(s/def ::max-memory-pages (s/int-in 0 65537))
(s/def ::timeout-ms pos-int?)
(s/def ::cache-dir #(or (false? %) (dir-like? %)))
(s/def ::max-output-bytes nat-int?)
(s/def ::clock #(or (instance? Instant %) (instance? Date %) (int? %) (callable? %)))
(s/def ::random int?)
(s/def ::trace #(or (boolean? %) (callable? %)))
(defn- port-in-range? [s]
  (when-let [[_ p] (re-matches #".+:(\d{1,5})" s)] (<= 0 (parse-long p) 65535)))
(s/def ::listen (s/coll-of (s/and string? port-in-range?) :kind sequential?))
(s/def ::host-fn (s/or :map (s/and map? (s/keys :req-un [::fn] :opt-un [::params ::results ::instance?]))
                       :fn callable?))
(s/def ::fn callable?)
(s/def ::valtype #{:i32 :i64 :f32 :f64})
(s/def ::params (s/coll-of ::valtype :kind sequential?))
(s/def ::results (s/coll-of ::valtype :kind sequential?))
(s/def ::instance? boolean?)
(s/def ::imports (s/map-of string? (s/map-of string? ::host-fn)))
(s/def ::files-path files/guest-path?)
(s/def ::files-content files/content?)
(s/def ::files (s/and (s/map-of ::files-path ::files-content) #(nil? (files/problem %))))
(s/def ::files-as #{:string :bytes})

(def ^:private expected
  "What each option takes, in words, for error messages."
  {:args "a vector of strings (argv after argv[0])"
   :argv0 "a string"
   :env "a map of string (or keyword) names to string values"
   :preopens "a map of guest path to host directory, or a vector of {:guest :host :read-only}"
   :stdin "nil, a string, bytes, an InputStream, a Reader, a File or :inherit"
   :stdout "nil (*out*), :capture, :tee, :discard, :inherit, an OutputStream or a Writer"
   :stderr "nil (*err*), :capture, :tee, :discard, :inherit, an OutputStream or a Writer"
   :engine "one of :auto, :compiler, :interpreter"
   :max-memory-pages "an integer from 0 to 65536"
   :timeout-ms "a positive integer"
   :cache-dir "a directory (string, File or Path) for compiled classes, or false for none"
   :max-output-bytes "a non-negative integer"
   :clock "an Instant, a Date, epoch nanoseconds, or a function returning epoch nanoseconds"
   :random "an integer seed"
   :trace "true, false, or a function of one trace event"
   :listen "a vector of \"host:port\" strings (port 0 to 65535)"
   :imports "a map of module name to a map of function name to a function or {:fn f :params [...] :results [...]}"
   :files "a map of absolute guest path (\"/data/in.txt\") to a string, bytes, {} (an empty directory) or {:symlink \"target\"}"
   :files-as "one of :string, :bytes"})

(def plain-keys #{:imports :engine :max-memory-pages :timeout-ms :cache-dir})
(def wasi-keys (into plain-keys [:args :argv0 :env :preopens :stdin :stdout :stderr
                                 :max-output-bytes :clock :random :trace :listen
                                 :files :files-as]))

(defn- strip-slash [^String g]
  (if (and (> (count g) 1) (str/ends-with? g "/")) (subs g 0 (dec (count g))) g))

(defn validate!
  "Returns `opts` when every key is known (one of `allowed`) and valid; otherwise throws
  ex-info `:wasm/bad-option` naming the key, the value and what it takes."
  [opts allowed]
  (when-not (or (nil? opts) (map? opts))
    (errors/fail :bad-option (str "options must be a map, got " (pr-str opts))
                 {:value opts :expected "a map"}))
  (doseq [[k v] opts]
    (when-not (allowed k)
      (errors/fail :bad-option (format "unknown option %s; known options: %s" (pr-str k)
                                       (str/join " " (sort allowed)))
                   {:key k :value v :expected (str "one of " (pr-str (sort allowed)))}))
    (let [spec (keyword "clj-wasi.impl.options" (name k))]
      (when-not (s/valid? spec v)
        (errors/fail :bad-option (if-let [why (and (= :files k) (files/problem v))]
                                   (format "option :files: %s; it takes %s" why (expected k))
                                   (format "option %s: %s is not %s" k (pr-str v) (expected k)))
                     {:key k :value v :expected (expected k)
                      :problems (::s/problems (s/explain-data spec v))}))))
  (when-let [^File f (and (instance? File (:stdin opts)) (:stdin opts))]
    ;; checked here, not when the guest first reads: a missing file is the caller's
    ;; mistake, reported with the option and the path rather than as :wasm/io
    (when-not (and (.isFile f) (.canRead f))
      (errors/fail :bad-option (format "option :stdin: %s is not a readable file" f)
                   {:key :stdin :value f :path (str f) :expected "a readable file"})))
  (when-let [clash (and (:files opts) (:preopens opts)
                        (first (filter (set (files/roots (:files opts)))
                                       (map #(strip-slash (str (:guest %)))
                                            (if (map? (:preopens opts))
                                              (map (fn [[g _]] {:guest g}) (:preopens opts))
                                              (:preopens opts))))))]
    (errors/fail :bad-option (format "option :files: %s is also a guest path in :preopens" clash)
                 {:key :files :value (:files opts)
                  :expected "guest directories other than those of :preopens"}))
  opts)

(defmacro ^:private for-option
  "Runs body, which turns option `k` into what the Java core takes; an exception the
  host raises on its value (a path the OS rejects, an address it cannot resolve)
  becomes :wasm/bad-option naming `k`, with the host's exception as cause."
  [k v & body]
  `(try ~@body
        (catch clojure.lang.ExceptionInfo e# (throw e#))
        (catch RuntimeException e#
          (throw (ex-info (format "option %s: %s is not usable: %s" ~k (pr-str ~v) (or (ex-message e#) e#))
                          {:type :wasm/bad-option :key ~k :value ~v :expected (expected ~k)}
                          e#)))))

(defn engine ^Engine [opts]
  (case (:engine opts :auto)
    :auto Engine/AUTO
    :compiler Engine/COMPILER
    :interpreter Engine/INTERPRETER))

(defn compile-cache
  "The CompileCache for :cache-dir (default: the user's cache folder; false: none)."
  ^CompileCache [opts]
  (let [d (:cache-dir opts)]
    (cond
      (false? d) nil
      (nil? d) (CompileCache. (CompileCache/defaultRoot))
      :else (for-option :cache-dir d (CompileCache. (.toPath (jio/file (str d))))))))

(defn- preopen-list [preopens]
  (if (map? preopens)
    (map (fn [[g h]] {:guest g :host h}) preopens)
    preopens))

(defn- host-dir ^Path [h guest]
  (let [p (.toAbsolutePath (.toPath (jio/file (str h))))]
    (when-not (.isDirectory (.toFile p))
      (errors/fail :bad-option (format "option :preopens: %s (for %s) is not a directory" h guest)
                   {:key :preopens :value h :expected "an existing host directory"}))
    p))

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
      (for-option :preopens host (.preopen b guest (host-dir host guest) (boolean read-only))))
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

