(ns clj-wasi.cli-test
  "The command-line runner, run as a separate JVM the way users run it: through its Java
  entry point, cljwasi.cli.Main, as bin/clj-wasi starts it (which runs plain command lines
  in Java and hands the rest to clj-wasi.main); and the two entry points compared."
  (:require [clj-wasi.main :as main]
            [clj-wasi.test-util :refer [java-cmd sh wasm with-temp-dir]]
            [clojure.java.io :as io]
            [clojure.string :as str]
            [clojure.test :refer [deftest is testing]]))

(defn- cli [args & opts]
  (apply sh (apply java-cmd "cljwasi.cli.Main" args) opts))

(defn- clojure-cli
  "The Clojure runner alone (bin/clojure -M:run without the launcher)."
  [args & opts]
  (apply sh (apply java-cmd "clojure.main" "-m" "clj-wasi.main" args) opts))

(deftest both-entry-points-run-a-command-line-alike
  ;; the Java entry point runs the plain ones itself and hands the others over: the same
  ;; exit code, output and messages either way
  (with-temp-dir [dir]
    (spit (io/file dir "in.txt") "from host")
    (doseq [[args stdin] [[[(wasm "hello")]]
                          [[(wasm "exit_with") "3" "stderr"]]
                          [[(wasm "exit_with") "200"]] ; a trap
                          [[(wasm "upper")] "abc\n"]
                          [["--env" "A=1" "--env=B=x=y" "--dir" (str dir "::/sandbox")
                            "--engine" "interpreter" "--no-cache" (wasm "echo_args") "x y"]]
                          [["--dir-ro" (str dir "::/sandbox") (wasm "fileio") "/sandbox"]]
                          [["--max-output-bytes" "5" (wasm "hello")]] ; a limit
                          [["--engine" "bogus" (wasm "hello")]]
                          [["--max-memory-pages" "70000" (wasm "hello")]]
                          [["--dir" (str dir "/gone") (wasm "hello")]]
                          [["--bogus" (wasm "hello")]]
                          [[(wasm "traps")]] ; no _start
                          [[(wasm "invalid_body")]]
                          [["no/such/module.wasm"]]]]
      (is (= (clojure-cli args :stdin stdin) (cli args :stdin stdin)) (pr-str args)))))

(deftest runs-commands-with-their-exit-codes-and-stdio
  (let [r (cli [(wasm "exit_with") "3" "stderr"])]
    (is (= 3 (:exit r)))
    (is (= "bye\n" (:err r))))
  (is (= {:exit 0 :out "hello, world\n" :err ""} (cli [(wasm "hello")])))
  (is (= "ABC\n" (:out (cli [(wasm "upper")] :stdin "abc\n"))) "stdin passes through")
  (is (= 7 (:exit (cli [(wasm "wasi_start_exit")])))))

(deftest env-dirs-and-argv0
  (with-temp-dir [dir]
    (spit (io/file dir "in.txt") "from host")
    (let [r (cli ["--env" "A=1" "--env=B=x=y" "--dir" (str dir "::/sandbox") "--"
                  (wasm "echo_args") "--not-an-option" "two words"])]
      (is (= 0 (:exit r)) (:err r))
      (is (str/includes? (:out r) "a14:echo_args.wasm\n") "argv[0] is the module's file name")
      (is (str/includes? (:out r) "a15:--not-an-option\n"))
      (is (str/includes? (:out r) "a9:two words\n"))
      (is (str/includes? (:out r) "e3:A=1\n"))
      (is (str/includes? (:out r) "e5:B=x=y\n")))
    (let [r (cli ["--dir" (str dir "::/sandbox") (wasm "fileio") "/sandbox"])]
      (is (= 0 (:exit r)) (:err r))
      (is (str/includes? (:out r) "in: from host")))
    (testing "--dir HOST alone maps the directory under its own name"
      (let [r (cli ["--dir" (str dir) (wasm "fileio") (str dir)])]
        (is (= 0 (:exit r)) (:err r))
        (is (= "written by wasm\n" (slurp (io/file dir "out.txt"))))))))

(deftest errors-are-one-line-and-non-zero
  (doseq [[args code what] [[["--bogus" (wasm "hello")] 2 "unknown option"]
                            [["--dir"] 2 "needs a value"]
                            [["--dir" "/no/such/dir" (wasm "hello")] 2 "no such directory"]
                            [["--timeout-ms" "abc" (wasm "hello")] 2 "non-negative integer"]
                            [["no/such/module.wasm"] 1 "no such module file"]
                            [["deps.edn"] 1 "not a WebAssembly module"]]]
    (let [r (cli args)]
      (is (= code (:exit r)) (pr-str args))
      (is (str/includes? (:err r) what) (:err r))
      (is (not (str/includes? (:err r) "\tat ")) "no stack trace")
      (is (<= (count (str/split-lines (:err r))) 2) (:err r)))))

(deftest traps-and-timeouts-exit-like-wasmtime
  (let [r (cli [(wasm "exit_with") "200"])]
    (is (= 134 (:exit r)))
    (is (str/includes? (:err r) "invalid exit status"))))

(deftest the-demo-runs-end-to-end
  (let [r (cli [])]
    (is (= 0 (:exit r)) (:err r))
    (doseq [section ["== Arguments ==" "== Environment ==" "== Clock ==" "== Random ==" "== Files"]]
      (is (str/includes? (:out r) section)))
    (is (str/includes? (:out r) "CLJ_WASI_DEMO = it works"))
    (is (str/includes? (:out r) "hello.txt"))))

(deftest argument-parsing
  (is (= {:opts {:env {"K" "V"}} :module "m.wasm" :args ["--env" "x"]}
         (main/parse-args ["--env" "K=V" "m.wasm" "--env" "x"])))
  (is (= {:opts {} :module nil :args []} (main/parse-args [])))
  (is (= [{:host "." :guest "." :read-only false}]
         (:preopens (:opts (main/parse-args ["--dir" "." "m.wasm"])))))
  (is (= [{:host "." :guest "/data" :read-only true}]
         (:preopens (:opts (main/parse-args ["--dir-ro" ".::/data" "m.wasm"])))))
  (is (= {:listen ["127.0.0.1:0"] :engine :interpreter :timeout-ms 5}
         (:opts (main/parse-args ["--listen" "127.0.0.1:0" "--engine" "interpreter" "--timeout-ms" "5" "m"])))))

(defn- free-port []
  (with-open [s (java.net.ServerSocket. 0)] (.getLocalPort s)))

(defn- echo-once [port line]
  (loop [tries 0]
    (let [r (try
              (with-open [s (java.net.Socket. "127.0.0.1" (int port))
                          w (io/writer (.getOutputStream s))
                          rd (io/reader (.getInputStream s))]
                (.write w (str line "\n"))
                (.flush w)
                (.readLine ^java.io.BufferedReader rd))
              (catch java.net.ConnectException e (if (< tries 100) ::retry (throw e))))]
      (if (= ::retry r) (do (Thread/sleep 100) (recur (inc tries))) r))))

(deftest listen-flag-serves-a-guest-tcp-server
  (let [port (free-port)
        server (future (cli ["--listen" (str "127.0.0.1:" port) (wasm "net_echo") "1"]))]
    (is (= "hello over tcp" (echo-once port "hello over tcp")))
    (let [r (deref server 20000 :timeout)]
      (is (= 0 (:exit r)) (pr-str r))
      (is (str/includes? (:out r) "served 1")))))

(deftest listen-addresses-from-the-api
  (with-open [i (clj-wasi.wasm/load-wasi (wasm "net_echo") {:args ["1"] :listen ["127.0.0.1:0"]
                                                            :stdout :discard})]
    (let [server (future ((clj-wasi.wasm/fn i "_start")))
          [addr] (clj-wasi.wasm/listen-addresses i)
          port (parse-long (re-find #"\d+$" addr))]
      (is (re-matches #"127\.0\.0\.1:\d+" addr))
      (is (pos? port))
      (is (= "ping" (echo-once port "ping")))
      (is (= 0 (deref server 10000 :timeout))))))

(deftest bin-clj-wasi-runs-from-any-directory
  (with-temp-dir [dir]
    (spit (io/file dir "in.txt") "from elsewhere\n")
    (let [launcher (.getAbsolutePath (io/file "bin/clj-wasi"))
          module (.getAbsolutePath (io/file (wasm "fileio")))
          r (sh [launcher "--dir" "." module "."] :dir (str dir))]
      (is (= 0 (:exit r)) (:err r))
      (is (str/includes? (:out r) "in: from elsewhere"))
      (is (= "written by wasm\n" (slurp (io/file dir "out.txt"))) "relative --dir is the caller's directory"))))

;; ---- the launcher's start-up archive (bin/clj-wasi) --------------------------------

(defn- archives []
  (->> (.listFiles (io/file "target/runner"))
       (filter #(re-matches #"(cds|aot)-.*\.(jsa|aot)" (.getName ^java.io.File %)))))

(deftest a-missing-stale-or-broken-archive-never-fails-a-run
  (let [launcher (.getAbsolutePath (io/file "bin/clj-wasi"))
        hello (.getAbsolutePath (io/file (wasm "hello")))
        run #(sh [launcher hello])
        ok? (fn [r] (and (= 0 (:exit r)) (= "hello, world\n" (:out r)) (= "" (:err r))))]
    (testing "without an archive: the guest's output alone, while one is made in the background"
      (run! #(.delete ^java.io.File %) (archives))
      (let [r (run)] (is (ok? r) (pr-str r))))
    (testing "the background training run leaves an archive for the next run"
      ;; (generous: on a loaded machine the training run shares two cores with the suite)
      (let [deadline (+ (System/currentTimeMillis) 240000)]
        (while (and (empty? (archives)) (< (System/currentTimeMillis) deadline)) (Thread/sleep 200)))
      (is (seq (archives)))
      (let [r (run)] (is (ok? r) (pr-str r))))
    (testing "an archive overwritten with garbage only costs time"
      (doseq [^java.io.File f (archives)]
        (.setWritable f true)
        (spit f (apply str (repeat 4096 "not an archive "))))
      (let [r (run)] (is (ok? r) (pr-str r))))
    (testing "CLJ_WASI_CDS=0 runs without one"
      (let [r (sh ["env" "CLJ_WASI_CDS=0" launcher hello])]
        (is (ok? r) (pr-str r))))
    (run! #(.delete ^java.io.File %) (archives))))

;; ---- timeouts -------------------------------------------------------------------

(defn- timed-cli
  "Runs the CLI with `args`, keeping its stdin open (and empty) until it exits; returns
  {:exit :out :err :after-start-ms}, the last being how long the process lived after
  its guest printed \"started\" (nil if it never did)."
  [args]
  (let [p (.start (ProcessBuilder. ^java.util.List (apply java-cmd "clojure.main" "-m" "clj-wasi.main" args)))
        started (promise)
        out (future (with-open [r (io/reader (.getInputStream p))]
                      (loop [lines []]
                        (if-let [l (.readLine ^java.io.BufferedReader r)]
                          (do (when (= "started" l) (deliver started (System/nanoTime)))
                              (recur (conj lines l)))
                          (str/join "\n" lines)))))
        err (future (slurp (.getErrorStream p)))
        exited (do (.waitFor p 60 java.util.concurrent.TimeUnit/SECONDS) (System/nanoTime))]
    (when (.isAlive p) (.destroyForcibly p))
    (.close (.getOutputStream p))
    {:exit (.waitFor p) :out @out :err @err
     :after-start-ms (when (realized? started) (/ (- exited @started) 1e6))}))

(deftest timeouts-end-the-process-promptly-on-every-engine
  ;; the process must end within the deadline + 300 ms of the guest starting; the bound
  ;; asserted allows for a loaded machine, and is far from the old 2 s grace period
  (doseq [engine ["auto" "compiler" "interpreter"]
          mode ["spin" "sleep"]]
    (testing (str engine " " mode)
      (let [{:keys [exit err after-start-ms] :as r}
            (timed-cli ["--engine" engine "--timeout-ms" "500" (wasm "limits") mode])]
        (is (= 124 exit) (pr-str r))
        (is (some? after-start-ms) "the guest started")
        (is (< after-start-ms 1300) (str "ended " after-start-ms " ms after the guest started"))
        (is (str/includes? err "ran past its timeout of 500 ms") err)
        ;; on a loaded machine the interrupt may land after the runner gave up; then it
        ;; says where the guest was, never that it was reading input
        (is (not (str/includes? err "input")) err)
        (is (= 1 (count (str/split-lines err))) err)))))

(deftest a-guest-blocked-on-stdin-is-reported-as-such
  ;; a read of the process's own stdin is the one place no interrupt reaches
  (let [{:keys [exit err] :as r} (timed-cli ["--timeout-ms" "300" (wasm "cat")])]
    (is (= 124 exit) (pr-str r))
    (is (str/includes? err "could not be stopped (blocked reading its input)") err)))

(deftest compiling-is-not-the-guests-time
  ;; an 80 KB module compiled cold in a fresh JVM takes longer than this whole budget
  ;; (and its grace period); the guest itself needs a few milliseconds
  (let [r (cli ["--engine" "compiler" "--no-cache" "--timeout-ms" "300" (wasm "fs_path")])]
    (is (= 2 (:exit r)) (pr-str r))
    (is (str/includes? (:out r) "unknown mode") "the guest ran and reported its usage error")
    (is (not (str/includes? (:err r) "timeout")) (:err r))))

(deftest output-cap-ends-a-flood
  (let [r (cli ["--max-output-bytes" "1000000" (wasm "limits") "flood"])]
    (is (= 1 (:exit r)) (:err r))
    (is (= 1000000 (count (:out r))) "the output before the cap is kept")
    (is (re-matches #"clj-wasi: .*max-output-bytes.*\n" (:err r)) "one line")))
