(ns clj-wasi.wasi-misc-test
  "WASI outside the file system: args, environ, clocks, random, sched_yield,
  proc_raise and proc_exit, success and error paths."
  (:require [clj-wasi.test-util :refer [assert-checks wasm]]
            [clj-wasi.wasm :as wasm]
            [clojure.string :as str]
            [clojure.test :refer [deftest is]]))

(defn- check-lines [res] (assert-checks "misc_calls" res))

(deftest args-environ-clocks-random-sched-proc-raise
  (doseq [engine [:interpreter :auto]]
    (check-lines (wasm/run (wasm "misc_calls") {:engine engine :args ["one" "two"]
                                                :env (array-map "A" "1" "BB" "22")}))))

(deftest deterministic-clock-and-random
  (let [opts {:args ["one" "two"] :env (array-map "A" "1" "BB" "22") :clock 1700000000000000000 :random 7}]
    (check-lines (wasm/run (wasm "misc_calls") opts))))

(deftest proc-exit-codes
  (doseq [code [0 1 77 125]]
    (is (= code (:exit (wasm/run (wasm "exit_with") {:args [(str code)]})))))
  (is (= :invalid-exit-status
         (:kind (try (wasm/run (wasm "exit_with") {:args ["126"]})
                     (catch clojure.lang.ExceptionInfo e (ex-data e)))))))
