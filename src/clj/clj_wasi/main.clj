(ns clj-wasi.main
  "The command-line runner, like `wasmtime run`:

      bin/clojure -M:run [OPTIONS] [--] MODULE.wasm [ARGS...]
      bin/clojure -M:run                 # the bundled demo

  Stdin, stdout and stderr pass straight through; the process exits with the module's
  exit code. Errors print one line to stderr and exit non-zero: 2 for a bad option,
  1 for a module that cannot be loaded or a limit hit, 124 for a timeout, 134 for a
  trap (as wasmtime does on Unix).

  bin/clj-wasi starts the Java entry point cljwasi.cli.Main instead, which runs a plain
  command line without loading Clojure and hands the rest here (see its class comment);
  both read the flags with cljwasi.cli.CommandLine."
  (:require [clj-wasi.impl.options :as options]
            [clj-wasi.wasm :as wasm]
            [clojure.java.io :as io]
            [clojure.string :as str])
  (:import (cljwasi.cli Flag Main)
           (java.io File)
           (java.nio.file Files)
           (java.util.concurrent LinkedBlockingQueue TimeUnit)
           (java.nio.file.attribute FileAttribute)))

(def ^:private invoke-flag
  "--invoke, the one flag that is no option of load-wasi (the runner's own)."
  {:flag (.flag Flag/INVOKE) :arg (.arg Flag/INVOKE) :help (.help Flag/INVOKE) :key :invoke})

(def ^:private flags
  "Every flag, in usage order: --invoke, then the options' flags from their table."
  (cons invoke-flag (options/cli-flags)))

(defn- usage-row
  "A flag's line(s) in the usage text: the flag and its argument, then its help,
  wrapped at 90 columns."
  [{:keys [flag arg help]}]
  (let [left (str "  " flag (when arg (str " " arg)))
        pad (apply str (repeat 27 " "))
        [l & more] (options/wrap help (- 90 27))]
    (str/join "\n" (cons (str (subs (str left pad) 0 (max 27 (inc (count left)))) l)
                         (map #(str pad %) more)))))

(def usage
  (str "usage: clj-wasi [OPTIONS] [--] MODULE.wasm|MODULE.wat [ARGS...]

Runs a WASI Preview 1 command. With no MODULE, runs the bundled demo. With --invoke,
calls one export instead, ARGS being its arguments (typed by its signature), and
prints each result on a line. A .wat module is converted with wat2wasm (on the PATH).

options:
" (str/join "\n" (map usage-row (concat flags [{:flag "-h, --help" :help "this text"}])))))

(defn parse-args
  "The runner's command line as {:opts {...} :module path-or-nil :args [...]}; options
  end at the first argument that is not one (or after `--`). Throws ex-info of type
  :clj-wasi.impl.options/usage for a flag that is unknown, lacks its value or whose
  text cannot become one; the values themselves are checked by load-wasi, as any
  caller's options are. (Read by cljwasi.cli.CommandLine, as the Java entry point reads it.)"
  [argv]
  (options/parse-command-line argv))

(defn- exit-code-for
  "The exit code for an error (cljwasi.cli.Main's, for the Java entry point's errors too)."
  [data]
  (Main/exitCode (some-> (:type data) name)))

(defn- parse-invoke-arg
  "Command-line argument `i` for a parameter of type `ty`, as wasmtime reads it:
  integers in decimal, floats also as inf, -inf and nan."
  [fname i ty ^String s]
  (let [bad #(options/usage-error (format "--invoke %s: argument %d (%s) must be %s, got %s"
                                  fname i (name ty) % (pr-str s)))]
    (case ty
      (:i32 :i64) (or (when (re-matches #"[+-]?\d{1,20}" s) (bigint (BigInteger. (str/replace s #"^\+" ""))))
                      (bad "an integer"))
      (:f32 :f64) (case (str/lower-case s)
                    ("inf" "+inf" "infinity" "+infinity") Double/POSITIVE_INFINITY
                    ("-inf" "-infinity") Double/NEGATIVE_INFINITY
                    "nan" Double/NaN
                    (or (when (re-matches #"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?" s) (Double/parseDouble s))
                        (bad "a number")))
      (options/usage-error (format "--invoke %s: parameter %d has type %s, which cannot be given on the command line"
                           fname i (name ty))))))

(defn format-result
  "A result as wasmtime prints it: integers in decimal, floats in Rust's notation
  (shortest round-trip digits, no exponent, 3 not 3.0, inf, NaN)."
  [v]
  (if (or (float? v) (instance? Float v))
    (let [d (double v)]
      (cond
        (Double/isNaN d) "NaN"
        (Double/isInfinite d) (if (pos? d) "inf" "-inf")
        (and (zero? d) (neg? (Math/copySign 1.0 d))) "-0"
        :else (.toPlainString (.stripTrailingZeros (BigDecimal. (if (instance? Float v)
                                                                   (Float/toString (float v))
                                                                   (Double/toString d)))))))
    (str v)))

(defn- invoke
  "Calls export `fname` of `inst` with the command-line `args` (telling `started!` just
  before, see on-big-stack); prints each result on a line; returns the exit code 0."
  [inst fname args started!]
  (let [f (wasm/fn inst fname)
        {:keys [params]} (first (filter #(= fname (:name %)) (wasm/exports inst)))]
    (when-not (= (count params) (count args))
      (options/usage-error (format "--invoke %s takes %d argument%s %s, got %d" fname (count params)
                           (if (= 1 (count params)) "" "s") (pr-str params) (count args))))
    (let [vals (doall (map-indexed (fn [i [ty s]] (parse-invoke-arg fname i ty s)) (map vector params args)))
          _ (started!)
          r (apply f vals)]
      (doseq [v (cond (nil? r) [] (vector? r) r :else [r])]
        (println (format-result v)))
      (flush)
      0)))

(defn- start
  "Calls the command's _start, first telling `started!` (see on-big-stack)."
  [inst started!]
  (started!)
  ((wasm/fn inst "_start")))

(def ^:private inherit-stdio
  "The runner's guest uses the process's own stdin, stdout and stderr."
  {:stdin :inherit :stdout :inherit :stderr :inherit})

(defn- run-module [{:keys [opts module args]} started!]
  (let [path module
        fname (:invoke opts)
        opts (merge inherit-stdio
                    (dissoc opts :invoke)
                    {:args (if fname [] args) :argv0 (.getName (io/file path))})]
    (with-open [inst (wasm/load-wasi path opts)]
      (if (and fname (not= "_start" fname))
        (invoke inst fname args started!)
        (start inst started!)))))

(defn- run-demo [{:keys [opts args]} started!]
  (let [dir (Files/createTempDirectory "clj-wasi-demo" (make-array FileAttribute 0))]
    (try
      (spit (io/file (str dir) "from-the-host.txt") "put here by the JVM\n")
      (with-open [inst (wasm/load-wasi
                        (io/resource "clj_wasi/demo.wasm")
                        (merge inherit-stdio
                               opts
                               {:args (if (seq args) args ["hello" "from" "clj-wasi"])
                                :argv0 "demo.wasm"
                                :env (merge {"CLJ_WASI_DEMO" "it works"
                                             "DEMO_DIR" "/sandbox"}
                                            (:env opts))
                                :preopens (into [{:guest "/sandbox" :host (str dir)}]
                                                (:preopens opts))}))]
        (start inst started!))
      (finally
        (doseq [^File f (reverse (file-seq (.toFile dir)))] (.delete f))))))

(def ^:private guest-stack-bytes
  "The runner's guest thread stack: deep recursion in real programs (compilers,
  parsers) needs far more than a JVM's default thread stack; untouched pages of it
  cost no memory."
  (* 1024 1024 1024))

(def ^:private stop-grace-ms
  "How long past its deadline the runner waits for a timed-out guest to stop. The
  timeout's interrupt stops Wasm code (every engine checks for it in loops and calls)
  and every WASI wait within milliseconds; only a read of the process's own stdin,
  which no interrupt ends, takes longer, and the runner then exits without it."
  200)

(defn- stuck-cause
  "Why guest thread `t` did not stop, in words, from where it is."
  [^Thread t]
  (let [frames (mapv (fn [^StackTraceElement e] (str (.getClassName e) "." (.getMethodName e)))
                     (.getStackTrace t))]
    (cond
      (some #(re-find #"^java\.io\.FileInputStream\.read|StreamDescriptor\.read" %) frames)
      "blocked reading its input"
      (some #(re-find #"^java\.io\.FileOutputStream\.write" %) frames)
      "blocked writing its output"
      (some #(str/starts-with? % "cljwasi.wasi.") frames)
      "blocked in a WASI call"
      ;; the interrupt had not landed yet (on a loaded machine the timer thread may not
      ;; have run): say where the guest was
      :else (str "still running, in " (first frames)))))

(defn- on-big-stack
  "Calls `(f started!)` on a daemon thread with a large stack (conveying bindings) and
  returns its value; `f` calls `started!` when the guest's own code begins. With
  `timeout-ms`, waits for the result until that long plus stop-grace-ms after
  `started!` (loading and compiling the module are not the guest's time): the guest's
  timeout ends it well within that, unless it is blocked where no interrupt reaches;
  then the runner reports why and gives up on it (exit code 124)."
  [f timeout-ms module-name]
  (let [events (LinkedBlockingQueue.)
        started! #(.put events {:started (System/nanoTime)})
        t (doto (Thread. nil
                         (bound-fn []
                           (.put events (try {:value (f started!)} (catch Throwable e {:error e}))))
                         "clj-wasi-guest" guest-stack-bytes)
            (.setDaemon true))]
    (.start t)
    (let [outcome (fn [{:keys [value error]}] (if error (throw error) value))]
      (loop []
        (let [ev (.take events)]
          (if-let [t0 (:started ev)]
            (if-not timeout-ms
              (recur)
              ;; in milliseconds: --timeout-ms may be up to 18 digits, too many for nanos
              (let [waited-ms (quot (- (System/nanoTime) (long t0)) 1000000)
                    done (.poll events (max 0 (- (+ (long timeout-ms) stop-grace-ms) waited-ms))
                                TimeUnit/MILLISECONDS)]
                (if done
                  (outcome done)
                  (do (binding [*out* *err*]
                        (println (format "clj-wasi: %s ran past its timeout of %d ms and could not be stopped (%s)"
                                         module-name timeout-ms (stuck-cause t))))
                      124))))
            (outcome ev)))))))

(defn run-cli
  "Runs the command line `argv`; returns the process exit code (never exits)."
  [argv]
  (try
    (let [parsed (parse-args argv)]
      (if (:help parsed)
        (do (println usage) 0)
        (on-big-stack #(if (:module parsed) (run-module parsed %) (run-demo parsed %))
                      (get-in parsed [:opts :timeout-ms])
                      (if-let [m (:module parsed)] (.getName (io/file m)) "demo.wasm"))))
    (catch clojure.lang.ExceptionInfo e
      (let [data (ex-data e)]
        (binding [*out* *err*]
          (println (str "clj-wasi: " (ex-message e)))
          (when (= ::options/usage (:type data)) (println "(run with --help for usage)")))
        (exit-code-for data)))
    (catch Throwable t
      (binding [*out* *err*] (println (str "clj-wasi: internal error: " t)))
      70)))

(defn -main [& argv]
  (let [code (run-cli argv)]
    (flush)
    (binding [*out* *err*] (flush))
    (shutdown-agents)
    (System/exit code)))
