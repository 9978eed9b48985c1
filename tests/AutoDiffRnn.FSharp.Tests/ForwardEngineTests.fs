/// The forward-mode engine on its own: derivatives it must know from the mathematics.
module AutoDiffRnn.FSharp.Tests.ForwardEngineTests

open System
open Expecto
open AutoDiffRnn.FSharp
open AutoDiffRnn.FSharp.Tests.Support

let private close (expected: float) (actual: float) message =
    Expect.floatClose { absolute = 1e-12; relative = 1e-12 } actual expected message

[<Tests>]
let tests =
    testList "forward engine" [
        test "diff of elementary functions" {
            close 12.0 (Forward.diff (fun x -> x * x * x) 2.0) "d/dx x³ at 2"
            close (Math.Exp 0.3) (Forward.diff Dual.exp 0.3) "d/dx eˣ"
            close (1.0 / 1.7) (Forward.diff Dual.log 1.7) "d/dx log x"
            close (0.5 / Math.Sqrt 2.5) (Forward.diff Dual.sqrt 2.5) "d/dx √x"
            close (1.0 - Math.Tanh 0.4 ** 2.0) (Forward.diff Dual.tanh 0.4) "d/dx tanh"
            let s = 1.0 / (1.0 + Math.Exp -0.8)
            close (s * (1.0 - s)) (Forward.diff Dual.sigmoid 0.8) "d/dx sigmoid"
            close (2.5 * 1.3 ** 1.5) (Forward.diff (Dual.pow 2.5) 1.3) "d/dx x^2.5"
            close -1.0 (Forward.diff Dual.abs -0.5) "d/dx |x| at -0.5"
            close 0.1 (Forward.diff (Dual.leakyRelu 0.1) -2.0) "leaky relu slope"
            close 0.0 (Forward.diff Dual.relu -2.0) "relu off"
            close 1.0 (Forward.diff (Dual.clamp (Some -1.0) (Some 1.0)) 0.5) "clamp inside"
            close 0.0 (Forward.diff (Dual.clamp (Some -1.0) (Some 1.0)) 1.5) "clamp outside"
            close (-1.0 / 4.0) (Forward.diff (fun x -> 1.0 / x) 2.0) "d/dx 1/x"
        }

        test "jvp of a matrix product is dA·B + A·dB" {
            let a = Dual.constant [| 2; 2 |] [| 1.0; 2.0; 3.0; 4.0 |]
            let b = Dual.constant [| 2; 2 |] [| 5.0; 6.0; 7.0; 8.0 |]
            let y = Forward.jvpMany (fun x -> Dual.matmul x[0] x[1]) [| a; b |] [| [| 1.0; 0.0; 0.0; 0.0 |]; [| 0.0; 0.0; 0.0; 1.0 |] |]
            // dA = e₁₁: dA·B = [[5,6],[0,0]]; dB = e₂₂: A·dB = [[0,2],[0,4]]
            Expect.equal y.Primal [| 19.0; 22.0; 43.0; 50.0 |] "A·B"
            Expect.equal y.Tangent [| 5.0; 8.0; 0.0; 4.0 |] "dA·B + A·dB"
        }

        test "Jacobian of softmax is diag(y) − y yᵀ" {
            let x = Dual.constant [| 3 |] [| 0.1; -0.4; 0.7 |]
            let y = (Dual.softmax 0 x).Primal
            let jacobian = Forward.jacobian (Dual.softmax 0) x
            for i in 0 .. 2 do
                for j in 0 .. 2 do
                    close ((if i = j then y[i] else 0.0) - y[i] * y[j]) jacobian[i, j] $"J[{i},{j}]"
        }

        test "structural operations move tangents with values" {
            let x = Dual.create [| 2; 3 |] [| 0.0 .. 5.0 |] [| 10.0 .. 15.0 |]
            let t = Dual.transpose 0 1 x
            Expect.equal t.Shape [| 3; 2 |] "transposed shape"
            Expect.equal t.Primal [| 0.0; 3.0; 1.0; 4.0; 2.0; 5.0 |] "transposed values"
            Expect.equal t.Tangent [| 10.0; 13.0; 11.0; 14.0; 12.0; 15.0 |] "transposed tangents"
            let pieces = Dual.split [| 1; 2 |] 1 x
            Expect.equal (Dual.concat 1 pieces) x "split then concat is the identity"
            Expect.equal (Dual.stack 0 (Dual.chunk 2 0 x)) (Dual.reshape [| 2; 1; 3 |] x) "chunk then stack"
            Expect.equal (Dual.select 1 2 x).Primal [| 2.0; 5.0 |] "select"
            Expect.equal (Dual.indexSelect 1 [| 2; 0; 2 |] x).Primal [| 2.0; 0.0; 2.0; 5.0; 3.0; 5.0 |] "index_select"
            let summed = x |> Dual.expand [| 4; 2; 3 |] |> Dual.sumTo [| 2; 3 |]
            Expect.equal summed.Tangent (x.Tangent |> Array.map ((*) 4.0)) "expand then sum_to multiplies by the copies"
        }

        test "max passes the tangent of the maximum" {
            let x = Dual.create [| 2; 2 |] [| 1.0; 5.0; 3.0; 2.0 |] [| 0.1; 0.2; 0.3; 0.4 |]
            Expect.equal (Dual.maxAxis 1 false x).Tangent [| 0.2; 0.3 |] "row maxima"
            Expect.equal (Dual.min x).Tangent [| 0.1 |] "minimum"
        }

        test "bad shapes are reported with the operation and the shapes" {
            let a = Dual.constant [| 2; 3 |] (Array.zeroCreate 6)
            let message = try Dual.matmul a a |> ignore; "no exception" with :? ArgumentException as e -> e.Message
            Expect.stringContains message "matmul: cannot multiply [2,3] by [2,3]" "message names the op and shapes"
        }

        test "forward jvp agrees with finite differences on a composite function" {
            let f (x: Dual) = Dual.tanh (Dual.matmul x (Dual.transpose 0 1 x)) |> Dual.logSumExp 1 false |> Dual.sum
            let x = Dual.ofTensor (normal 3UL [| 3; 2 |])
            let v = (normal 4UL [| 3; 2 |]).ToDoubleArray()
            let h = 1e-6
            let at (shift: float) = (f { x with Primal = Array.map2 (fun p d -> p + shift * d) x.Primal v }).Primal[0]
            Expect.floatClose { absolute = 1e-8; relative = 1e-7 } (Forward.jvp f x v).Tangent[0] ((at h - at -h) / (2.0 * h)) "directional derivative"
        }
    ]
