(ns clj-wasi.wasm
  "Run WebAssembly modules, above all WASI Preview 1 commands, from Clojure.

      (require '[clj-wasi.wasm :as wasm])

      (wasm/run \"hello.wasm\" {:args [\"world\"]})
      ;; => {:exit 0, :out \"hello, world\\n\", :err \"\"}

      (with-open [inst (wasm/load-wasi \"hello.wasm\" {})]
        ((wasm/fn inst \"_start\")))   ; prints to *out*, returns the exit code

      (with-open [inst (wasm/load \"math.wasm\" {:imports {\"env\" {\"log\" println}}})]
        ((wasm/fn inst \"add\") 1 2))  ; => 3

  Every failure is an ex-info whose data has a :type: :wasm/malformed,
  :wasm/not-found, :wasm/io, :wasm/missing-imports, :wasm/import-mismatch,
  :wasm/unsupported, :wasm/compile, :wasm/no-such-export, :wasm/trap (with :kind),
  :wasm/bad-argument, :wasm/arity, :wasm/unsupported-type, :wasm/bad-result,
  :wasm/bad-option, :wasm/timeout, :wasm/limit, :wasm/closed, :wasm/interrupted,
  :wasm/no-memory, :wasm/out-of-bounds, :wasm/exit, :wasm/host-error (README's table
  says when each is thrown and what its data holds).
  A guest's proc_exit never exits the JVM.

  Every public function has an s/fdef (its options maps checked key by key), so

      (clojure.spec.test.alpha/instrument
        (clojure.spec.test.alpha/enumerate-namespace 'clj-wasi.wasm))

  makes a bad call fail at the call, with spec's explanation. Uninstrumented, the
  options are still checked: a bad one throws :wasm/bad-option naming :key."
  (:refer-clojure :exclude [fn load read-string])
  (:require [clj-wasi.impl.errors :as errors]
            [clj-wasi.impl.files :as files]
            [clj-wasi.impl.host :as host]
            [clj-wasi.impl.options :as options]
            [clj-wasi.impl.values :as values]
            [clojure.core :as core]
            [clojure.java.io :as jio]
            [clojure.spec.alpha :as s]
            [clojure.string :as str])
  (:import (cljwasi Module ModuleInstance Signature)
           (cljwasi.wasi Errno WasiHost$Def WasiTracer)
           (com.dylibso.chicory.runtime Memory)
           (java.io ByteArrayOutputStream Closeable File InputStream)
           (java.net URL)
           (java.nio.charset StandardCharsets)
           (java.nio.file FileSystem Path)))

(set! *warn-on-reflection* true)

(deftype Instance [^ModuleInstance java captures trace files]
  Closeable
  (close [_]
    (try
      (errors/translating (.close java))
      (finally
        (when-let [^FileSystem fs (:fs files)] (.close fs))))))

(defmethod print-method Instance [^Instance i ^java.io.Writer w]
  (.write w (str "#clj-wasi/instance[" (.name (.module ^ModuleInstance (.java i)))
                 (when (.isClosed ^ModuleInstance (.java i)) " closed") "]")))

(defn- java-instance ^ModuleInstance [inst]
  (if (instance? Instance inst)
    (.java ^Instance inst)
    (errors/fail :bad-argument (str "expected an instance from wasm/load or wasm/load-wasi, got "
                                    (pr-str inst))
                 {:value inst :expected "an instance"})))

(defn module
  "Parses and validates a module once, for instantiating many times (from any thread)
  with `load`, `load-wasi` or `run`, which also take any `src` this takes directly.

  `src` is a file path (string, File or Path), a URL (e.g. `(clojure.java.io/resource
  \"m.wasm\")`), a byte array, an InputStream, or an already parsed module.

      (def m (wasm/module \"test/wasm/hello.wasm\"))
      (wasm/run m {})"
  ^Module [src]
  (errors/translating
   (cond
     (instance? Module src) src
     (string? src) (Module/parse (.toPath (File. ^String src)))
     (instance? File src) (Module/parse (.toPath ^File src))
     (instance? Path src) (Module/parse ^Path src)
     (bytes? src) (Module/parse ^bytes src "module.wasm")
     (instance? URL src) (with-open [in (.openStream ^URL src)]
                           (Module/parse ^InputStream in
                                         ^String (last (str/split (.getPath ^URL src) #"/"))))
     (instance? InputStream src) (Module/parse ^InputStream src "module.wasm")
     :else (errors/fail :bad-argument (str "cannot load a module from " (pr-str src))
                        {:value src
                         :expected "a path, File, Path, URL, byte array, InputStream or module"}))))

(defn- trace-event [^WasiHost$Def d ^longs args errno nanos]
  {:fn (.name d)
   :args (zipmap (map #(keyword (str/replace % "_" "-")) (.paramNames d)) (vec args))
   :errno (when (>= (long errno) 0) (keyword (Errno/name errno)))
   :nanos nanos})

(defn- tracer [trace-opt trace-atom]
  (when trace-opt
    (let [sink (if (true? trace-opt) #(swap! trace-atom conj %) trace-opt)]
      (reify WasiTracer
        (onCall [_ d args errno nanos]
          (sink (trace-event d args errno nanos)))))))

(defn- instantiate [src opts wasi?]
  (options/validate! opts (if wasi? options/wasi-keys options/plain-keys))
  (let [m (module src)
        inst-promise (promise)
        trace-atom (atom [])
        {wasi-opts :options captures :captures vfs :files}
        (when wasi? (options/wasi-options opts (.name m) (tracer (:trace opts) trace-atom)))]
    (try
      (let [b (doto (ModuleInstance/builder m)
                (.engine (options/engine opts))
                (.compileCache (options/compile-cache opts))
                (.wasi wasi-opts))]
        (doseq [f (host/host-functions m (:imports opts) inst-promise)] (.hostFunction b f))
        (when-let [n (:max-memory-pages opts)] (.maxMemoryPages b (int n)))
        (when-let [ms (:timeout-ms opts)] (.timeoutMillis b (long ms)))
        (let [inst (Instance. (errors/translating (.build b)) captures trace-atom vfs)]
          (deliver inst-promise inst)
          inst))
      (catch Throwable t
        (when-let [^FileSystem fs (:fs vfs)] (.close fs))
        (throw t)))))

(defn load
  "Instantiates a module without WASI. `opts`:

    :imports           {\"module\" {\"name\" f}}: Clojure functions for the module's imports.
                       f gets the import's parameters as Clojure numbers and returns a
                       number, nil or a vector. Instead of f, {:fn f :params [:i32 ...]
                       :results [...] :instance? true} declares the signature (checked
                       against the import) and/or passes the instance as first argument.
                       Missing imports fail here with :wasm/missing-imports listing all.
    :engine            :auto (default: compiled to JVM bytecode, interpreter where the
                       compiler refuses), :compiler or :interpreter.
    :cache-dir         where compiled classes are kept between runs (default:
                       $XDG_CACHE_HOME/clj-wasi or ~/.cache/clj-wasi; false: nowhere).
                       Entries are keyed by the module's hash and the engine version,
                       checksummed, and rebuilt when corrupt.
    :max-memory-pages  cap on linear memory, in 64 KiB pages.
    :timeout-ms        each call is stopped after this long (:wasm/timeout) and the
                       instance closed. Loading and compiling are not counted.

  Linear memory grows only as far as the JVM heap affords: memory.grow returns -1
  when growing would leave less than max(max heap / 8, 32 MiB) free.

  Returns an instance (java.io.Closeable; use with-open).

      (with-open [i (wasm/load \"host_imports.wasm\"
                               {:imports {\"env\" {\"add\" +
                                                   \"log\" {:fn (fn [inst p n] (println (wasm/read-string inst p n)))
                                                          :instance? true}}
                                          \"math\" {\"scale\" #(* 2.0 %)}}})]
        ((wasm/fn i \"call_add\") 2 3))  ;=> 5"
  ([src] (load src {}))
  ([src opts] (instantiate src opts false)))

(defn load-wasi
  "Instantiates a WASI Preview 1 module. Takes `load`'s options and:

    :args      the arguments after argv[0], a vector of strings (argv[0] is the
               module's file name, or :argv0).
    :env       {\"NAME\" \"value\"}; nothing of the JVM's environment is passed.
    :preopens  {\"/guest/path\" \"host/dir\"}, or a vector of {:guest :host :read-only}
               (in fd order). The guest can reach nothing outside these directories;
               under :read-only true every write fails.
    :stdin     nil (empty), a string, bytes, an InputStream or Reader (streamed as it
               arrives), a File, or :inherit.
    :stdout, :stderr
               nil (default: the caller's *out* / *err* at call time, so REPL and
               nREPL users see output), :capture (read with `captured`), :discard,
               :inherit (the process's own), an OutputStream, or a Writer.
    :max-output-bytes  stdout+stderr cap: the first write past it fails with ENOSPC
               (earlier output is kept); a guest that writes again after that is
               stopped with :wasm/limit, :limit :max-output-bytes.
    :clock     a fixed Instant, Date or epoch nanos, or a function returning epoch nanos.
    :random    a seed: random_get becomes reproducible.
    :trace     true (collect; read with `trace`) or a function of each WASI call's event
               {:fn \"path_open\" :args {...} :errno :success :nanos 1234}.
    :listen    [\"127.0.0.1:0\"]: TCP listeners preopened as fds after the directories.
    :files     an in-memory tree, {\"/guest/path\" content}: content is a string (UTF-8),
               bytes, {} (an empty directory) or {:symlink \"target\"}. The first
               component of each path (\"/data\" of \"/data/in.txt\") is a directory
               preopened under that name, after those of :preopens (from which its
               names must differ), in sorted order; everything else is made beneath
               it. The guest reads, writes, renames, links and lists it like a host
               directory, within the same sandbox; nothing reaches the disk. The
               tree lives in memory (one Jimfs FileSystem per instance, released by
               `close`); its file times come from :clock when given. Read it back
               with `files` (`run` returns it under :files).
    :files-as  how `files` and `run` return file contents: :string (default; UTF-8,
               malformed bytes become U+FFFD) or :bytes (byte arrays).

  A reactor module's _initialize export, if any, runs here.

      (with-open [i (wasm/load-wasi \"hello.wasm\" {:args [\"x\"]})]
        ((wasm/fn i \"_start\")))   ;=> 0, having printed to *out*"
  ([src] (load-wasi src {}))
  ([src opts]
   (let [inst (instantiate src opts true)
         j (java-instance inst)]
     (when (and (contains? (.exports (.module j)) "_initialize")
                (not (contains? (.exports (.module j)) "_start")))
       (try
         (errors/translating (.call j "_initialize" (long-array 0)))
         (catch Throwable t
           (.close ^Closeable inst)
           (throw t))))
     inst)))

(defn- signature->map [^Signature s]
  (cond-> {:name (.name s) :kind (keyword (.kind s))}
    (.module s) (assoc :module (.module s))
    (= "function" (.kind s)) (assoc :params (mapv keyword (.params s))
                                    :results (mapv keyword (.results s)))))

(defn- module-of ^Module [x]
  (if (instance? Instance x) (.module (java-instance x)) (module x)))

(defn exports
  "The exports of an instance or module (or anything `module` takes), in order:

      (wasm/exports \"numbers.wasm\")
      ;=> [{:name \"add\" :kind :function :params [:i32 :i32] :results [:i32]}
      ;    {:name \"memory\" :kind :memory} ...]"
  [x]
  (mapv signature->map (vals (.exports (module-of x)))))

(defn imports
  "The imports of an instance or module, in order:

      (wasm/imports \"hello.wasm\")
      ;=> [{:module \"wasi_snapshot_preview1\" :name \"fd_write\" :kind :function
      ;     :params [:i32 :i32 :i32 :i32] :results [:i32]} ...]"
  [x]
  (mapv signature->map (.imports (module-of x))))

(defn fn
  "A Clojure function for export `name` of `inst`. Arguments are converted to the
  export's parameter types with range checks (i32: -2^31..2^32-1, i64: -2^63..2^64-1,
  f32/f64: numbers; a Float or Double keeps its exact bits, NaN payloads included);
  a wrong count throws :wasm/arity, a wrong value :wasm/bad-argument. It returns nil,
  one value (i32/i64 as Long, f32 as Float, f64 as Double), or a vector for several.

  For `_start` it runs the command and returns its exit code (0 when `_start` returns).
  proc_exit inside any other export throws :wasm/exit with :exit.

      ((wasm/fn inst \"add\") 2 3)     ;=> 5
      ((wasm/fn inst \"_start\"))       ;=> 0"
  [inst name]
  (let [j (java-instance inst)
        ^Signature s (get (.exports (.module j)) name)]
    (when-not (and s (= "function" (.kind s)))
      (errors/translating (.export j name)))
    (if (and (= "_start" name) (empty? (.params s)) (empty? (.results s)))
      (core/fn
        ([] (errors/translating (long (.runCommand j "_start"))))
        ([& xs] (errors/fail :arity (format "_start takes no arguments, got %d" (count xs))
                             {:function name :params [] :given (count xs)})))
      (values/export-fn j name (mapv keyword (.params s)) (mapv keyword (.results s))))))

(defn- memory ^Memory [inst]
  (errors/translating (.memory (java-instance inst))))

(defn- check-range [inst ^long offset ^long len]
  (let [size (* 65536 (long (.pages (memory inst))))]
    (when-not (and (<= 0 offset) (<= 0 len) (<= (+ offset len) size))
      (errors/fail :out-of-bounds
                   (format "bytes [%d, %d) are outside memory of %d bytes" offset (+ offset len) size)
                   {:offset offset :length len :memory-size size}))))

(defn memory-size
  "The size of the instance's memory in bytes (a multiple of 65536)."
  [inst]
  (* 65536 (long (.pages (memory inst)))))

(defn read-bytes
  "`len` bytes of the instance's memory from `offset`, as a byte array.

      (String. (wasm/read-bytes inst 1024 5) \"UTF-8\")"
  ^bytes [inst offset len]
  (check-range inst offset len)
  (.readBytes (memory inst) (int offset) (int len)))

(defn write-bytes!
  "Writes byte array `bs` into the instance's memory at `offset`; returns the count."
  [inst offset ^bytes bs]
  (check-range inst offset (alength bs))
  (.write (memory inst) (int offset) bs)
  (alength bs))

(defn read-string
  "`len` bytes of memory from `offset`, decoded as UTF-8."
  [inst offset len]
  (String. (read-bytes inst offset len) StandardCharsets/UTF_8))

(defn write-string!
  "Writes `s` as UTF-8 (no terminator) at `offset`; returns the number of bytes."
  [inst offset ^String s]
  (write-bytes! inst offset (.getBytes s StandardCharsets/UTF_8)))

(defn captured
  "What the guest wrote to `stream` (:stdout or :stderr) when it was given as :capture,
  decoded as UTF-8; nil when that stream was not captured."
  [inst stream]
  (let [i ^Instance inst]
    (when-let [^ByteArrayOutputStream buf (get (.captures i) stream)]
      (.flush (.wasi (java-instance inst)))
      (.toString buf "UTF-8"))))

(defn trace
  "The WASI calls recorded so far when the instance was made with `:trace true`."
  [inst]
  @(.trace ^Instance inst))

(defn files
  "The instance's in-memory tree (its :files option) as it is now, in the shape
  :files takes: a sorted map of guest path to content, with every regular file, every
  symlink as {:symlink \"target\"} and every empty directory as \"/path/\" {} (a
  directory with entries shows through them). File contents are strings (UTF-8) or,
  with `as` :bytes (default: the instance's :files-as), byte arrays. nil for an
  instance made without :files. Readable until the instance is closed.

      (with-open [i (wasm/load-wasi \"fileio.wasm\" {:args [\"/data\"]
                                                   :files {\"/data/in.txt\" \"hi\"}})]
        ((wasm/fn i \"_start\"))
        (wasm/files i))
      ;=> {\"/data/in.txt\" \"hi\", \"/data/out.txt\" \"written by wasm\\n\"}"
  ([inst] (files inst nil))
  ([inst as]
   (let [i ^Instance inst]
     (when-let [{:keys [fs roots files-as]} (.files i)]
       (when-not (.isOpen ^FileSystem fs)
         (errors/fail :closed "the instance is closed: its :files tree is gone" {}))
       (files/tree fs roots (or as files-as))))))

(defn close
  "Closes the instance: every file and socket the guest opened is released, and its
  in-memory :files tree with them."
  [inst]
  (.close ^Closeable inst))

(defn run
  "Runs a WASI command once and returns {:exit code :out \"...\" :err \"...\"}
  (with :trace when :trace is true, and with :files, the resulting in-memory tree as
  `files` returns it, when :files is given). Takes `load-wasi`'s options; stdout and
  stderr are captured unless given, together capped (as :max-output-bytes) at
  min(64 MiB, max heap / 16) unless :max-output-bytes is given. A trap throws :wasm/trap with the output (and
  tree) so far under :out and :err (and :files).

      (wasm/run \"test/wasm/echo_args.wasm\" {:args [\"a\" \"b\"] :env {\"K\" \"v\"}})
      (wasm/run \"test/wasm/fileio.wasm\" {:args [\"/data\"] :files {\"/data/in.txt\" \"hi\"}})
      ;=> {:exit 0, :out \"...\", :err \"\", :files {\"/data/in.txt\" \"hi\", \"/data/out.txt\" ...}}"
  ([src] (run src {}))
  ([src opts]
   (let [opts (merge {:stdout :capture :stderr :capture} (options/validate! opts options/wasi-keys))]
     (with-open [^Closeable inst (load-wasi src opts)]
       (let [result (core/fn [exit]
                      (cond-> {:exit exit}
                        (= :capture (:stdout opts)) (assoc :out (captured inst :stdout))
                        (= :capture (:stderr opts)) (assoc :err (captured inst :stderr))
                        (true? (:trace opts)) (assoc :trace (trace inst))
                        (:files opts) (assoc :files (files inst))))]
         (try
           (result ((fn inst "_start")))
           (catch clojure.lang.ExceptionInfo e
             (throw (ex-info (ex-message e) (merge (dissoc (result nil) :exit) (ex-data e))
                             (ex-cause e))))))))))

(defn listen-addresses
  "The addresses the instance's :listen sockets are bound to, in order, as
  \"host:port\" strings (the real port where 0 was asked), e.g. to connect a client
  to a guest server running on a future:

      (with-open [i (wasm/load-wasi \"server.wasm\" {:listen [\"127.0.0.1:0\"]})]
        (let [server (future ((wasm/fn i \"_start\")))
              [addr] (wasm/listen-addresses i)]
          ...))"
  [inst]
  (let [ctx (.wasi (java-instance inst))]
    (if ctx
      (mapv (core/fn [^java.net.InetSocketAddress a]
              (str (.getHostString a) ":" (.getPort a)))
            (cljwasi.wasi.net.SocketSupport/boundAddresses ctx))
      [])))

;; --- specs: for clojure.spec.test.alpha/instrument ---------------------------------

(s/def ::src (s/or :path string? :file #(instance? File %) :nio-path #(instance? Path %)
                   :url #(instance? URL %) :bytes bytes? :stream #(instance? InputStream %)
                   :module #(instance? Module %)))
(s/def ::instance #(instance? Instance %))
(s/def ::load-options
  (s/nilable (s/and (s/keys :opt-un [::options/imports ::options/engine ::options/cache-dir
                                     ::options/max-memory-pages ::options/timeout-ms])
                    #(every? options/plain-keys (keys %)))))
(s/def ::wasi-options
  (s/nilable (s/and (s/keys :opt-un [::options/imports ::options/engine ::options/cache-dir
                                     ::options/max-memory-pages ::options/timeout-ms
                                     ::options/args ::options/argv0 ::options/env
                                     ::options/preopens ::options/stdin ::options/stdout
                                     ::options/stderr ::options/max-output-bytes
                                     ::options/clock ::options/random ::options/trace
                                     ::options/listen ::options/files ::options/files-as])
                    #(every? options/wasi-keys (keys %)))))
(s/def ::name string?)
(s/def ::kind #{:function :memory :table :global :tag})
(s/def ::module string?)
(s/def ::signature (s/keys :req-un [::name ::kind]
                           :opt-un [::module ::options/params ::options/results]))
(s/def ::offset nat-int?)
(s/def ::length nat-int?)
(s/def ::exit (s/nilable int?))
(s/def ::out (s/nilable string?))
(s/def ::err (s/nilable string?))

(s/fdef module
  :args (s/cat :src ::src)
  :ret #(instance? Module %))
(s/fdef load
  :args (s/cat :src ::src :opts (s/? ::load-options))
  :ret ::instance)
(s/fdef load-wasi
  :args (s/cat :src ::src :opts (s/? ::wasi-options))
  :ret ::instance)
(s/fdef run
  :args (s/cat :src ::src :opts (s/? ::wasi-options))
  :ret (s/keys :req-un [::exit] :opt-un [::out ::err ::options/files]))
(s/fdef exports
  :args (s/cat :x (s/or :instance ::instance :src ::src))
  :ret (s/coll-of ::signature :kind vector?))
(s/fdef imports
  :args (s/cat :x (s/or :instance ::instance :src ::src))
  :ret (s/coll-of ::signature :kind vector?))
(s/fdef fn
  :args (s/cat :inst ::instance :name string?)
  :ret ifn?)
(s/fdef memory-size
  :args (s/cat :inst ::instance)
  :ret nat-int?)
(s/fdef read-bytes
  :args (s/cat :inst ::instance :offset ::offset :len ::length)
  :ret bytes?)
(s/fdef write-bytes!
  :args (s/cat :inst ::instance :offset ::offset :bs bytes?)
  :ret nat-int?)
(s/fdef read-string
  :args (s/cat :inst ::instance :offset ::offset :len ::length)
  :ret string?)
(s/fdef write-string!
  :args (s/cat :inst ::instance :offset ::offset :s string?)
  :ret nat-int?)
(s/fdef captured
  :args (s/cat :inst ::instance :stream #{:stdout :stderr})
  :ret (s/nilable string?))
(s/fdef trace
  :args (s/cat :inst ::instance)
  :ret vector?)
(s/fdef files
  :args (s/cat :inst ::instance :as (s/? (s/nilable ::options/files-as)))
  :ret (s/nilable map?))
(s/fdef close
  :args (s/cat :inst ::instance))
(s/fdef listen-addresses
  :args (s/cat :inst ::instance)
  :ret (s/coll-of string? :kind vector?))
