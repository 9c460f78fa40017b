(ns clj-wasi.nrepl-test
  "A guest's output reaches an nREPL client: the user's everyday setup."
  (:require [clojure.string :as str]
            [clojure.test :refer [deftest is]]
            [nrepl.core :as nrepl]
            [nrepl.server :as server]))

(defn- eval-code [client code]
  (let [msgs (nrepl/message client {:op "eval" :code code})
        combined (nrepl/combine-responses msgs)]
    {:out (apply str (:out combined)) :err (apply str (:err combined))
     :value (:value combined) :status (:status combined)}))

(deftest guest-output-arrives-in-nrepl-out-messages
  (with-open [srv (server/start-server :bind "127.0.0.1" :port 0)
              conn (nrepl/connect :host "127.0.0.1" :port (:port srv))]
    (let [client (nrepl/client conn 20000)]
      (eval-code client "(require '[clj-wasi.wasm :as wasm])")
      (let [r (eval-code client
                         "(with-open [i (wasm/load-wasi \"test/wasm/hello.wasm\")] ((wasm/fn i \"_start\")))")]
        (is (= "hello, world\n" (:out r)))
        (is (= ["0"] (:value r))))
      (let [r (eval-code client
                         "(with-open [i (wasm/load-wasi \"test/wasm/exit_with.wasm\" {:args [\"3\" \"stderr\"]})] ((wasm/fn i \"_start\")))")]
        (is (= "bye\n" (:err r)))
        (is (= ["3"] (:value r))))
      (let [r (eval-code client "(:exit (wasm/run \"test/wasm/hello.wasm\" {:stdout nil}))")]
        (is (= "hello, world\n" (:out r)) "run with :stdout nil prints to the client too")
        (is (= ["0"] (:value r))))
      (let [r (eval-code client "(wasm/run \"test/wasm/no-such.wasm\")")]
        (is (str/includes? (:err r) "no such module file"))))))
